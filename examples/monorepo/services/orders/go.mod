module github.com/acme/orders

go 1.22

require (
	github.com/acme/core-utils v1.4.2 // pinned by platform
	github.com/otherco/core-utils v1.0.0
)
