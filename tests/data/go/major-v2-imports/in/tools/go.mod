module github.com/acme/payments/tools

go 1.21

require github.com/otherco/core-utils v1.0.0
