package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

// runCLI runs the real command in-process with only the given environment.
func runCLI(t *testing.T, envv map[string]string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	if envv == nil {
		envv = map[string]string{}
	}
	if _, ok := envv["TALKBOT_DATA_DIR"]; !ok {
		// Keep tests away from the developer's own data directory.
		envv["XDG_DATA_HOME"] = t.TempDir()
	}
	var out, errb bytes.Buffer
	err := runEnv(context.Background(), args, &env{stdout: &out, stderr: &errb, getenv: func(k string) string { return envv[k] }})
	code = exitCode(err, &errb)
	return out.String(), errb.String(), code
}

type jsonAnswer struct {
	Question  string `json:"question"`
	Answer    string `json:"answer"`
	Found     bool   `json:"found"`
	Mode      string `json:"mode"`
	Citations []struct {
		N     int    `json:"n"`
		Doc   string `json:"doc"`
		Title string `json:"title"`
		Quote string `json:"quote"`
	} `json:"citations"`
}

func decodeOne(t *testing.T, s string) jsonAnswer {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(s))
	var a jsonAnswer
	if err := dec.Decode(&a); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, s)
	}
	if dec.More() {
		t.Fatalf("more than one JSON value:\n%s", s)
	}
	return a
}

func TestAskJSON(t *testing.T) {
	out, _, code := runCLI(t, nil, "ask", "--json", "How long did Witkoff meet Putin?")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	a := decodeOne(t, out)
	if !a.Found || a.Mode != "extractive" || !strings.Contains(a.Answer, "five") || len(a.Citations) == 0 {
		t.Fatalf("unexpected answer: %+v", a)
	}
	ok := false
	for _, c := range a.Citations {
		raw, err := os.ReadFile(filepath.Join("..", "..", "seeds", c.Doc+".txt"))
		if err != nil || !strings.Contains(string(raw), c.Quote) {
			t.Errorf("citation %d: quote not exact text of %s: %q", c.N, c.Doc, c.Quote)
		}
		if (c.Doc == "001_92fef488ebb60c41" || c.Doc == "004_3f0c181de509a6cc") && strings.Contains(c.Quote, "five") {
			ok = true
		}
	}
	if !ok {
		t.Errorf("no citation of 001 or 004 quoting the five hours: %+v", a.Citations)
	}

	out, _, code = runCLI(t, nil, "ask", "Who won the Super Bowl?", "--json")
	a = decodeOne(t, out)
	if code != 0 || a.Found || len(a.Citations) != 0 || !strings.Contains(out, `"citations":[]`) {
		t.Errorf("not-found answer: exit %d %s", code, out)
	}
}

func TestExitCodes(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"no command", nil, 2, "no command"},
		{"unknown command", []string{"frobnicate"}, 2, "unknown command"},
		{"empty question", []string{"ask", ""}, 2, "empty"},
		{"blank question", []string{"ask", "   "}, 2, "empty"},
		{"no question", []string{"ask"}, 2, "empty"},
		{"huge question", []string{"ask", strings.Repeat("why ", 5000)}, 2, "too long"},
		{"non-UTF-8 question", []string{"ask", "caf\xe9?"}, 2, "UTF-8"},
		{"unknown flag", []string{"ask", "--frob", "q"}, 2, "frob"},
		{"help", []string{"--help"}, 0, ""},
		{"ask help", []string{"ask", "--help"}, 0, ""},
		{"sources extra arg", []string{"sources", "x"}, 2, "no arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, stderr, code := runCLI(t, nil, tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d (stderr %q)", code, tt.code, stderr)
			}
			if tt.code == 2 {
				lines := strings.Split(strings.TrimSpace(stderr), "\n")
				if last := lines[len(lines)-1]; !strings.Contains(last, tt.msg) {
					t.Errorf("message %q lacks %q", last, tt.msg)
				}
			}
		})
	}
}

func TestConfigErrorNamesVariable(t *testing.T) {
	_, stderr, code := runCLI(t, map[string]string{"TALKBOT_LLM_TIMEOUT": "soon"}, "ask", "q?")
	if code != 2 || !strings.Contains(stderr, "TALKBOT_LLM_TIMEOUT") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}

func TestSourcesListsSeeds(t *testing.T) {
	out, _, code := runCLI(t, nil, "sources")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"000_c42f37b296db4cc9", "(title derived)", "004_3f0c181de509a6cc", "Ukraine and US Negotiators Meet in Florida After Putin Talks"} {
		if !strings.Contains(out, want) {
			t.Errorf("sources lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "Connect with us") {
		t.Errorf("page chrome in sources")
	}
}

// One golden answer per seed article, as a user sees it on the terminal.
func TestGoldenAnswers(t *testing.T) {
	tests := []struct{ doc, q string }{
		{"000_c42f37b296db4cc9", "What do many Ukrainians think about NATO membership?"},
		{"001_92fef488ebb60c41", "What did Putin tell India Today about the Donbas?"},
		{"002_5f20617c4fac4dcb", "How many people died in the missile attack on Odesa?"},
		{"003_2febd623e457be3d", "What did Rubio say about how wars end?"},
		{"004_3f0c181de509a6cc", "How many Ukrainian children were taken to Russia?"},
	}
	for _, tt := range tests {
		t.Run(tt.doc, func(t *testing.T) {
			out, _, code := runCLI(t, nil, "ask", tt.q)
			if code != 0 {
				t.Fatalf("exit %d", code)
			}
			if !strings.Contains(out, "("+tt.doc+")") {
				t.Errorf("answer does not cite %s:\n%s", tt.doc, out)
			}
			path := filepath.Join("testdata", "golden", tt.doc+".txt")
			got := "$ talkbot ask " + tt.q + "\n" + out
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./cmd/talkbot -run Golden -update)", err)
			}
			if got != string(want) {
				t.Errorf("answer changed:\n--- got\n%s\n--- want\n%s", got, want)
			}
		})
	}
}
