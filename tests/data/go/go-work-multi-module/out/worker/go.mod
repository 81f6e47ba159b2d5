module github.com/acme/mono/worker

go 1.22

require (
	github.com/acme/core-utils v1.5.2
	github.com/acme/mono/api v0.0.0-00010101000000-000000000000
)

replace github.com/acme/mono/api => ../api
