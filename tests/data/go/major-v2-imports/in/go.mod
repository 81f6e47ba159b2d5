module github.com/acme/payments

go 1.21

require github.com/acme/core-utils v1.4.0

require (
	github.com/acme/core-utils-extra v1.1.0
)
