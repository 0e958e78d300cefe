package quietinit

import (
	"os"
	"testing"
)

// The package's init ran before this test: CI is set (by it or by whoever
// started the test), and Restore takes away only what the package set.
func TestRestoreTakesAwayOnlyItsOwnCI(t *testing.T) {
	v, ok := os.LookupEnv(ciVar)
	if !ok {
		t.Fatal("CI is not set after the package's init")
	}
	own := setHere
	if own && v != "datalayer-start-up" {
		t.Fatalf("the package says it set CI, but CI is %q", v)
	}
	Restore()
	after, still := os.LookupEnv(ciVar)
	switch {
	case own && still:
		t.Errorf("Restore left CI=%q that the package set", after)
	case !own && (!still || after != v):
		t.Errorf("Restore changed a CI the package did not set: %q → %q (set %v)", v, after, still)
	}
	if setHere {
		t.Error("Restore did not forget it")
	}
}
