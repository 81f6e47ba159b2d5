Cpackage main

import "github.com/acme/core-utils/v2/pkg/x"

func main() { x.Do() }
