module example.com/edge/nightly

require github.com/acme/core-utils v0.0.0-20230102030405-0123456789ab