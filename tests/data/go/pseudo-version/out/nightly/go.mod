module example.com/edge/nightly

require github.com/acme/core-utils v1.5.0