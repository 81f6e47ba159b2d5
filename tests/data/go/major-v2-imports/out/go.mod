module github.com/acme/payments

go 1.21

require github.com/acme/core-utils/v2 v2.0.3

require (
	github.com/acme/core-utils-extra v1.1.0
)
