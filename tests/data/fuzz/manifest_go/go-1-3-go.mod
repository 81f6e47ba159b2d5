1module example.com/forked

require github.com/acme/core-utils v1.4.0

replace github.com/acme/core-utils => github.com/example-fork/core-utils v1.4.0-patched.1
