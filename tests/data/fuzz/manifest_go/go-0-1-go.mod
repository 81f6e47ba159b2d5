module example.com/broken

require (
	github.com/acme/core-utils v1.4.0
