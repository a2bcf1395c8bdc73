package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSourceToken: a token comes from its variable, else its file; a
// token that is configured but unset or empty is an error that names where
// it was looked for, and no token configured is no token.
func TestSourceToken(t *testing.T) {
	dir := t.TempDir()
	full := filepath.Join(dir, "token")
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(full, []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(empty, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("CCBENCH_TEST_TOKEN_SET", "from-env")
	t.Setenv("CCBENCH_TEST_TOKEN_EMPTY", "")
	for _, tc := range []struct {
		name      string
		src       Source
		want      string
		wantErrIn []string // each must be in the error; nil: no error
	}{
		{"none configured", Source{}, "", nil},
		{"from the variable", Source{TokenEnv: "CCBENCH_TEST_TOKEN_SET", TokenFile: full}, "from-env", nil},
		{"from the file when the variable is empty", Source{TokenEnv: "CCBENCH_TEST_TOKEN_EMPTY", TokenFile: full}, "from-file", nil},
		{"variable unset", Source{TokenEnv: "CCBENCH_TEST_TOKEN_UNSET"}, "", []string{"CCBENCH_TEST_TOKEN_UNSET", "token_env"}},
		{"file empty", Source{TokenFile: empty}, "", []string{empty, "token_file"}},
		{"both empty", Source{TokenEnv: "CCBENCH_TEST_TOKEN_EMPTY", TokenFile: empty}, "", []string{"CCBENCH_TEST_TOKEN_EMPTY", empty}},
		{"file missing", Source{TokenFile: filepath.Join(dir, "nope")}, "", []string{"nope"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.src.Token()
			if tc.wantErrIn == nil {
				if err != nil || got != tc.want {
					t.Fatalf("Token() = %q, %v; want %q", got, err, tc.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("Token() = %q, want an error", got)
			}
			for _, s := range tc.wantErrIn {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q lacks %q", err, s)
				}
			}
		})
	}
}
