package main

import (
	"fmt"

	cu "github.com/acme/core-utils/strutil"
)

func main() { fmt.Println(cu.Trim(" x ")) }
