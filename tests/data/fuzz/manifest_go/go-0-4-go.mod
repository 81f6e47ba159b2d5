@module example.com/svc

require github.com/acme/core-utils v1.4.0

replace (
	// local development copy, not a target
	github.com/acme/core-utils v1.3.0 => ../core-utils
	github.com/acme/core-utils v1.4.0 => github.com/acme/core-utils v1.4.1
)
