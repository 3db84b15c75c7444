package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/talkbot/talkbot/retrieval"
)

// runIn runs the real command in-process against one data directory, with
// no other environment (so it can run in parallel).
func runIn(t *testing.T, dataDir string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	return runCLI(t, map[string]string{"TALKBOT_DATA_DIR": dataDir}, args...)
}

// fixtureDir copies the ingest fixtures (an HTML page full of chrome, a
// Markdown article with front matter) into a fresh directory.
func fixtureDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, name := range []string{"geneva-working-groups.html", "istanbul-prisoner-exchange.md"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "retrieval", "testdata", "ingest", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}

var reEmbedded = regexp.MustCompile(`embedded (\d+) passages`)

func embeddedCount(t *testing.T, stderr string) int {
	t.Helper()
	m := reEmbedded.FindStringSubmatch(stderr)
	if m == nil {
		t.Fatalf("no embedded count in stderr:\n%s", stderr)
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// Texts of the fixture page's chrome: navigation, cookie banner, share
// bars, promos, the "Most read" rail and the footer.
var pageChrome = []string{"cookie", "Accept all", "Subscribe", "Share on", "Share this", "Copy link", "Sign up",
	"newsletter", "Most read", "About us", "Privacy", "All rights reserved", "©", "Photo:", "Topics:", "Follow us"}

func TestIngestThenAskCitesNewArticlesWithoutChrome(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	src := fixtureDir(t)
	out, errOut, code := runIn(t, data, "ingest", src)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if got := lastLine(out); got != "added 2, updated 0, unchanged 0, removed 0, skipped 0" {
		t.Errorf("summary %q", got)
	}
	// Not a terminal: one plain progress line per file, no control codes.
	if !strings.Contains(errOut, "[1/2] added ") || !strings.Contains(errOut, "[2/2] added ") || strings.Contains(errOut, "\x1b") {
		t.Errorf("progress lines:\n%q", errOut)
	}

	tests := []struct {
		q, doc, fact, asOf string
	}{
		{"How many working groups did Ukraine and the US agree in Geneva?", "geneva-working-groups", "three working groups", "(as of 16 Dec 2025)"},
		{"What did Peskov say Russia would do with the revised document?", "geneva-working-groups", "carefully and without haste", "(as of 16 Dec 2025)"},
		{"How many prisoners of war will Russia and Ukraine exchange?", "istanbul-prisoner-exchange", "1,200 prisoners", "(as of 19 Dec 2025)"},
		{"What conditions did Umerov list for the Istanbul round?", "istanbul-prisoner-exchange", "", "(as of 19 Dec 2025)"},
	}
	for _, tt := range tests {
		out, errOut, code := runIn(t, data, "ask", "--json", tt.q)
		if code != 0 {
			t.Fatalf("%q: exit %d: %s", tt.q, code, errOut)
		}
		a := decodeOne(t, out)
		if !a.Found || len(a.Citations) == 0 {
			t.Errorf("%q: not answered: %s", tt.q, a.Answer)
			continue
		}
		cited := false
		for _, c := range a.Citations {
			cited = cited || c.Doc == tt.doc
			for _, m := range pageChrome {
				if strings.Contains(c.Quote, m) {
					t.Errorf("%q: page chrome %q in quote %q", tt.q, m, c.Quote)
				}
			}
		}
		if !cited {
			t.Errorf("%q: %s not cited: %+v", tt.q, tt.doc, a.Citations)
		}
		if tt.fact != "" && !strings.Contains(a.Answer, tt.fact) {
			t.Errorf("%q: answer lacks %q: %s", tt.q, tt.fact, a.Answer)
		}
		if !strings.Contains(a.Answer, tt.asOf) {
			t.Errorf("%q: answer does not say %q: %s", tt.q, tt.asOf, a.Answer)
		}
	}

	out, _, code = runIn(t, data, "sources")
	if code != 0 {
		t.Fatalf("sources exit %d", code)
	}
	for _, want := range []string{
		"geneva-working-groups       2025-12-16  The Meridian Dispatch",
		"istanbul-prisoner-exchange  2025-12-19  The North Sea Observer",
		"000_c42f37b296db4cc9", "Ukraine and US Agree Three Working Groups in Geneva as Russia Studies Revised Plan",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("sources lacks %q:\n%s", want, out)
		}
	}
	out, _, _ = runIn(t, data, "sources", "--json")
	var srcs []retrieval.Source
	if err := json.Unmarshal([]byte(out), &srcs); err != nil {
		t.Fatal(err)
	}
	for _, s := range srcs {
		if s.ID == "istanbul-prisoner-exchange" && (s.Published.Format("2006-01-02") != "2025-12-19" ||
			s.URL != "https://northsea-observer.example/2025/12/19/istanbul-prisoner-exchange") {
			t.Errorf("sources --json: %+v", s)
		}
	}
}

func TestIngestIsIncrementalAndPrunes(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	src := fixtureDir(t)
	if _, errOut, code := runIn(t, data, "ingest", src); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}

	out, errOut, code := runIn(t, data, "ingest", src)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if got := lastLine(out); got != "added 0, updated 0, unchanged 2, removed 0, skipped 0" {
		t.Errorf("second ingest: %q", got)
	}
	if n := embeddedCount(t, errOut); n != 0 {
		t.Errorf("second ingest embedded %d passages, want 0", n)
	}

	// Edit the Markdown article: only it is re-indexed.
	md := filepath.Join(src, "istanbul-prisoner-exchange.md")
	b, _ := os.ReadFile(md)
	if err := os.WriteFile(md, bytes.Replace(b, []byte("1,200 prisoners"), []byte("1,500 prisoners"), 1), 0o600); err != nil {
		t.Fatal(err)
	}
	out, errOut, _ = runIn(t, data, "ingest", src)
	if got := lastLine(out); got != "added 0, updated 1, unchanged 1, removed 0, skipped 0" {
		t.Errorf("after edit: %q", got)
	}
	passages := map[string]int{}
	js, _, _ := runIn(t, data, "sources", "--json")
	var srcs []retrieval.Source
	if err := json.Unmarshal([]byte(js), &srcs); err != nil {
		t.Fatal(err)
	}
	for _, s := range srcs {
		passages[s.ID] = s.Passages
	}
	if n := embeddedCount(t, errOut); n == 0 || n > passages["istanbul-prisoner-exchange"] {
		t.Errorf("edit embedded %d passages; want 1..%d, the edited article's", n, passages["istanbul-prisoner-exchange"])
	}
	out, _, _ = runIn(t, data, "ask", "--json", "How many prisoners of war will Russia and Ukraine exchange?")
	if a := decodeOne(t, out); !strings.Contains(a.Answer, "1,500 prisoners") {
		t.Errorf("edited fact not answered: %s", a.Answer)
	}

	// Delete the HTML article; --prune removes it from answers.
	if err := os.Remove(filepath.Join(src, "geneva-working-groups.html")); err != nil {
		t.Fatal(err)
	}
	out, errOut, code = runIn(t, data, "ingest", "--prune", src)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if got := lastLine(out); got != "added 0, updated 0, unchanged 1, removed 1, skipped 0" {
		t.Errorf("prune: %q", got)
	}
	out, _, _ = runIn(t, data, "ask", "--json", "How many working groups did Ukraine and the US agree in Geneva?")
	for _, c := range decodeOne(t, out).Citations {
		if c.Doc == "geneva-working-groups" {
			t.Errorf("pruned article still cited: %+v", c)
		}
	}
	out, _, _ = runIn(t, data, "sources")
	if strings.Contains(out, "geneva-working-groups") || !strings.Contains(out, "004_3f0c181de509a6cc") {
		t.Errorf("sources after prune:\n%s", out)
	}
}

func TestIngestSkipsBadFilesWithReasons(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	src := fixtureDir(t)
	files := map[string][]byte{
		"binary.txt": []byte("\x7fELF\x02\x01\x01\x00\x00\x00 machine code"),
		"empty.md":   nil,
		"latin1.txt": []byte("Les n\xe9gociateurs se sont r\xe9unis \xe0 Gen\xe8ve."),
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(src, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// 50 MB, sparse: created in no time, refused before it is read.
	f, err := os.Create(filepath.Join(src, "huge.html"))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(50 << 20); err != nil {
		t.Fatal(err)
	}
	f.Close()

	out, errOut, code := runIn(t, data, "ingest", src)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if got := lastLine(out); got != "added 2, updated 0, unchanged 0, removed 0, skipped 4" {
		t.Errorf("summary %q", got)
	}
	for _, want := range []string{
		"skipped " + filepath.Join(src, "binary.txt") + ": binary file",
		"skipped " + filepath.Join(src, "empty.md") + ": empty file",
		"skipped " + filepath.Join(src, "latin1.txt") + ": not valid UTF-8",
		"skipped " + filepath.Join(src, "huge.html") + ": file too big: 50.0 MB, limit 5.0 MB",
	} {
		if !strings.Contains(out, want+"\n") {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	// The index is whole: the good files and the built-in articles answer.
	for q, doc := range map[string]string{
		"How many prisoners of war will Russia and Ukraine exchange?": "istanbul-prisoner-exchange",
		"How long did Witkoff meet Putin?":                            "",
	} {
		out, _, _ := runIn(t, data, "ask", "--json", q)
		a := decodeOne(t, out)
		if !a.Found || doc != "" && a.Citations[0].Doc != doc {
			t.Errorf("%q after bad files: %+v", q, a)
		}
	}
	out, _, _ = runIn(t, data, "sources")
	if n := strings.Count(out, "\n"); n != 1+5+2 {
		t.Errorf("sources has %d lines, want header + 7 articles:\n%s", n, out)
	}
}

func TestIngestUsage(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	if _, errOut, code := runIn(t, data, "ingest"); code != 2 || !strings.Contains(errOut, "at least one file") {
		t.Errorf("no paths: exit %d, %q", code, errOut)
	}
	// Help asked for goes to stdout, like the top-level help.
	if out, _, code := runIn(t, data, "ingest", "--help"); code != 0 || !strings.Contains(out, "--prune") {
		t.Errorf("--help: exit %d, %q", code, out)
	}
	// --prune alone is a valid clean-up run.
	if out, errOut, code := runIn(t, data, "ingest", "--prune"); code != 0 || lastLine(out) != "added 0, updated 0, unchanged 0, removed 0, skipped 0" {
		t.Errorf("--prune alone: exit %d, %q %q", code, out, errOut)
	}
	// A data directory that cannot be created is an error naming it.
	file := filepath.Join(t.TempDir(), "not-a-dir")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, errOut, code := runIn(t, filepath.Join(file, "sub"), "ingest", fixtureDir(t)); code != 1 || !strings.Contains(errOut, "TALKBOT_DATA_DIR") {
		t.Errorf("unusable data dir: exit %d, %q", code, errOut)
	}
}

// A fact that 000 and 001 state in near-identical sentences is cited once,
// from 001 (000's title is derived from its text); sources still lists both.
func TestSharedFactCitedOnce(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	tests := []struct {
		q          string
		from, not  string
		mustAnswer string
	}{
		{"How many rounds of talks were held in two weeks?", "001_92fef488ebb60c41", "000_c42f37b296db4cc9", "sixth round"},
		{"How much of Ukraine does Russia control?", "001_92fef488ebb60c41", "000_c42f37b296db4cc9", "one-fifth"},
		{"What did Witkoff and Umerov say ending the war depends on?", "", "", "willingness"},
	}
	for _, tt := range tests {
		out, errOut, code := runIn(t, data, "ask", "--json", tt.q)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		a := decodeOne(t, out)
		if !strings.Contains(a.Answer, tt.mustAnswer) {
			t.Errorf("%q: answer lacks %q: %s", tt.q, tt.mustAnswer, a.Answer)
		}
		for i, c := range a.Citations {
			if tt.not != "" && c.Doc == tt.not {
				t.Errorf("%q: cites %s for the fact %s also states: %q", tt.q, tt.not, tt.from, c.Quote)
			}
			for _, d := range a.Citations[i+1:] {
				if c.Doc != d.Doc && retrieval.NearDuplicate(c.Quote, d.Quote) {
					t.Errorf("%q: the same fact cited twice:\n  [%d] %s: %s\n  [%d] %s: %s", tt.q, c.N, c.Doc, c.Quote, d.N, d.Doc, d.Quote)
				}
			}
		}
		if tt.from != "" {
			cited := false
			for _, c := range a.Citations {
				cited = cited || c.Doc == tt.from
			}
			if !cited {
				t.Errorf("%q: %s not cited: %+v", tt.q, tt.from, a.Citations)
			}
		}
	}
	out, _, _ := runIn(t, data, "sources")
	if !strings.Contains(out, "000_c42f37b296db4cc9") || !strings.Contains(out, "001_92fef488ebb60c41") {
		t.Errorf("sources must still list both articles:\n%s", out)
	}
}
