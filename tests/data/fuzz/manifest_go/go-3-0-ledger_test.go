package ledger_test

import (
	"testing"
	. `github.com/acme/core-utils/pkg/money`
	_ "github.com/acme/core-utils/pkg/money/register"
)

func TestZero(t *testing.T) { _ = Zero }
