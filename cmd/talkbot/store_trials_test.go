package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The test binary doubles as the talkbot binary, so the trials below run
// real, separate processes (what concurrency and kill -9 are about) without
// building anything.
const cliEnv = "TALKBOT_TEST_RUN_CLI"

func TestMain(m *testing.M) {
	if os.Getenv(cliEnv) == "1" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
		stop()
		os.Exit(exitCode(err, os.Stderr))
	}
	os.Exit(m.Run())
}

// cli is `talkbot args…` as its own process on dataDir.
func cli(t *testing.T, dataDir string, args ...string) *exec.Cmd {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	c := exec.Command(exe, args...)
	c.Env = []string{cliEnv + "=1", "TALKBOT_DATA_DIR=" + dataDir, "HOME=" + t.TempDir(), "PATH=" + os.Getenv("PATH")}
	return c
}

func cliRun(t *testing.T, dataDir string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	c := cli(t, dataDir, args...)
	var o, e bytes.Buffer
	c.Stdout, c.Stderr = &o, &e
	err := c.Run()
	code = c.ProcessState.ExitCode()
	if err != nil && code < 0 {
		t.Fatalf("talkbot %v: %v", args, err)
	}
	return o.String(), e.String(), code
}

// trials is how many rounds each trial runs: a few in `go test`; the issue's
// 20 with TALKBOT_TRIALS=20 go test ./cmd/talkbot -run TestStoreTrials -v.
func trials(t *testing.T) int {
	if n, err := strconv.Atoi(os.Getenv("TALKBOT_TRIALS")); err == nil && n > 0 {
		return n
	}
	if testing.Short() {
		return 1
	}
	return 2
}

// articles writes n small articles named prefix-NNN.txt into a new
// directory; version changes every article's text (and a marker word).
func articles(t *testing.T, prefix string, n, version int) string {
	t.Helper()
	dir := t.TempDir()
	writeArticles(t, dir, prefix, n, version)
	return dir
}

func writeArticles(t *testing.T, dir, prefix string, n, version int) {
	t.Helper()
	for i := range n {
		body := fmt.Sprintf("Report %s %d on the harbour talks\n\n"+
			"Officials from the port authority of %s%d met shipping firms on Monday to discuss new berths, "+
			"according to a statement released after the meeting. Revision marker v%dmarker applies to this text.\n\n"+
			"The talks covered dredging, customs checks and the cost of fuel for tugboats, the statement said, "+
			"and a second round is planned for the spring in the same city.\n",
			prefix, i, prefix, i, version)
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%s-%03d.txt", prefix, i)), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

var reSummary = regexp.MustCompile(`added (\d+), updated (\d+), unchanged (\d+), removed (\d+), skipped (\d+)`)

// summary parses an ingest summary line: added, updated, unchanged.
func summary(t *testing.T, stdout string) (added, updated, unchanged int) {
	t.Helper()
	m := reSummary.FindStringSubmatch(stdout)
	if m == nil {
		t.Fatalf("no ingest summary in:\n%s", stdout)
	}
	a, _ := strconv.Atoi(m[1])
	u, _ := strconv.Atoi(m[2])
	c, _ := strconv.Atoi(m[3])
	return a, u, c
}

// storedIDs lists the ingested articles `talkbot sources --json` shows.
func storedIDs(t *testing.T, dataDir string) map[string]bool {
	t.Helper()
	out, errOut, code := cliRun(t, dataDir, "sources", "--json")
	if code != 0 {
		t.Fatalf("sources exit %d: %s", code, errOut)
	}
	var srcs []struct{ ID string }
	if err := json.Unmarshal([]byte(out), &srcs); err != nil {
		t.Fatalf("sources --json: %v\n%s", err, out)
	}
	ids := map[string]bool{}
	for _, s := range srcs {
		ids[s.ID] = true
	}
	return ids
}

// Two ingests at once into one data dir: the second waits for the first;
// no article is lost, and ingesting the same files again adds nothing.
func TestStoreTrialsConcurrentIngests(t *testing.T) {
	t.Parallel()
	n := trials(t)
	for trial := range n {
		data := t.TempDir()
		a, b := articles(t, "alpha", 40, 1), articles(t, "beta", 40, 1)
		var wg sync.WaitGroup
		outs := make([]string, 2)
		codes := make([]int, 2)
		for i, src := range []string{a, b} {
			wg.Go(func() {
				var errOut string
				outs[i], errOut, codes[i] = cliRun(t, data, "ingest", src)
				if codes[i] != 0 {
					t.Errorf("trial %d: ingest %d exit %d: %s", trial, i, codes[i], errOut)
				}
			})
		}
		wg.Wait()
		ids := storedIDs(t, data)
		for _, p := range []string{"alpha", "beta"} {
			for i := range 40 {
				if id := fmt.Sprintf("%s-%03d", p, i); !ids[id] {
					t.Fatalf("trial %d: %s lost (%d sources)", trial, id, len(ids))
				}
			}
		}
		out, _, code := cliRun(t, data, "ingest", a, b)
		if added, updated, _ := summary(t, out); code != 0 || added+updated != 0 {
			t.Errorf("trial %d: re-ingest exit %d: %s", trial, code, out)
		}
	}
	t.Logf("%d trials of two concurrent ingests: no article lost", n)
}

// ask looped during an ingest that updates every article: every ask
// answers with JSON, none sees text older than what it saw before (no
// rollback), and the data dir is never written by a reader.
func TestStoreTrialsAskDuringIngest(t *testing.T) {
	t.Parallel()
	n := trials(t)
	asks := 0
	for trial := range n {
		data := t.TempDir()
		src := articles(t, "gamma", 300, 1)
		if _, errOut, code := cliRun(t, data, "ingest", src); code != 0 {
			t.Fatalf("first ingest: %s", errOut)
		}
		writeArticles(t, src, "gamma", 300, 2)
		ing := cli(t, data, "ingest", src)
		var ingOut bytes.Buffer
		ing.Stdout = &ingOut
		if err := ing.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- ing.Wait() }()
		sawNew := false
		for running := true; running; {
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("trial %d: ingest: %v\n%s", trial, err, ingOut.String())
				}
				running = false
			default:
			}
			out, errOut, code := cliRun(t, data, "ask", "--json", "--offline", "what does the revision marker say about gamma-007 harbour talks")
			asks++
			var a struct {
				Answer string
				Found  bool
			}
			if code != 0 || json.Unmarshal([]byte(out), &a) != nil {
				t.Fatalf("trial %d: ask exit %d, output %q, stderr %s", trial, code, out, errOut)
			}
			switch {
			case strings.Contains(a.Answer, "v2marker"):
				sawNew = true
			case !strings.Contains(a.Answer, "v1marker"):
				t.Fatalf("trial %d: the answer quotes neither version: %q", trial, a.Answer)
			case sawNew:
				t.Fatalf("trial %d: ask saw the new text, then the old one again (rolled back)", trial)
			}
		}
		if !sawNew {
			t.Fatalf("trial %d: the ask after the ingest finished still quoted the old text", trial)
		}
		if out, _, _ := cliRun(t, data, "ingest", src); func() bool { a, u, _ := summary(t, out); return a+u != 0 }() {
			t.Errorf("trial %d: ingest after the run still changed articles: %s", trial, out)
		}
	}
	t.Logf("%d trials, %d asks during ingests: all answered, none rolled back", n, asks)
}

// kill -9 at a random point of an ingest: the store always opens, keeps
// what was committed, and a rerun then a further ingest complete it with
// nothing left to add.
func TestStoreTrialsKill9(t *testing.T) {
	t.Parallel()
	n := trials(t)
	r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 9))
	var committed []int
	midway := 0 // kills that landed after a commit and before the end
	for trial := range n {
		data := t.TempDir()
		const files = 600 // several batches: seconds of ingest to kill somewhere in
		src := articles(t, "delta", files, 1)
		// Killed when its progress reaches a random file: anywhere from
		// before the first commit to after the last.
		killIngestAt(t, data, src, 1+r.IntN(files), 0)
		ids := storedIDs(t, data) // the store opens, whatever the kill left
		committed = append(committed, len(ids)-5)
		if n := len(ids) - 5; n > 0 && n < files {
			midway++
		}
		out, errOut, code := cliRun(t, data, "ingest", src)
		added, updated, unchanged := summary(t, out)
		if code != 0 || added+unchanged != files || updated != 0 {
			t.Fatalf("trial %d: rerun after kill exit %d: %s %s", trial, code, out, errOut)
		}
		out, _, code = cliRun(t, data, "ingest", src)
		if added, updated, unchanged := summary(t, out); code != 0 || added+updated != 0 || unchanged != files {
			t.Fatalf("trial %d: further ingest: %s", trial, out)
		}
		if ids := storedIDs(t, data); len(ids) != files+5 {
			t.Fatalf("trial %d: %d sources after completing, want %d", trial, len(ids), files+5)
		}
	}
	t.Logf("%d kill -9 trials (%d between commits); articles stored right after each kill: %v", n, midway, committed)
}

// kill -9 around the end of an ingest big enough to write the search
// snapshot (during its last commits, or while the snapshot is written):
// readers still open the store and list every committed article, and a
// rerun leaves a snapshot, no temporary files, and nothing to add.
func TestStoreTrialsKill9AroundSnapshot(t *testing.T) {
	t.Parallel()
	n := trials(t)
	r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 11))
	const files = 2100 // past the 2,000 passages that earn a snapshot
	src := articles(t, "zeta", files, 1)
	var seen []string
	for trial := range n {
		data := t.TempDir()
		// Killed in the last tenth of the files, or up to 0.6 s after the
		// last one while the snapshot is being written.
		if trial%2 == 0 {
			killIngestAt(t, data, src, files, time.Duration(r.IntN(600))*time.Millisecond)
		} else {
			killIngestAt(t, data, src, files-r.IntN(files/10), 0)
		}
		left, _ := os.ReadDir(data)
		var names []string
		for _, e := range left {
			names = append(names, e.Name())
		}
		seen = append(seen, strings.Join(names, " "))
		storedIDs(t, data) // the store opens, whatever the kill left

		out, errOut, code := cliRun(t, data, "ingest", src)
		if added, updated, unchanged := summary(t, out); code != 0 || added+unchanged != files || updated != 0 {
			t.Fatalf("trial %d: rerun after kill exit %d: %s %s", trial, code, out, errOut)
		}
		out, _, code = cliRun(t, data, "ingest", src)
		if added, updated, unchanged := summary(t, out); code != 0 || added+updated != 0 || unchanged != files {
			t.Fatalf("trial %d: further ingest: %s", trial, out)
		}
		stdout, stderr, code := cliRun(t, data, "sources", "--json")
		if code != 0 || strings.Contains(stderr, "snapshot") || strings.Count(stdout, `"id"`) != files+5 {
			t.Fatalf("trial %d: sources after completing: exit %d, %d articles, stderr %s", trial, code, strings.Count(stdout, `"id"`), stderr)
		}
		if _, err := os.Stat(filepath.Join(data, "talkbot.snap")); err != nil {
			t.Fatalf("trial %d: no snapshot after completing: %v", trial, err)
		}
		if tmps, _ := filepath.Glob(filepath.Join(data, "*.tmp-*")); len(tmps) > 0 {
			t.Fatalf("trial %d: temporary files left: %v", trial, tmps)
		}
	}
	t.Logf("%d kill -9 trials around the snapshot; files right after each kill: %q", n, seen)
}

// killIngestAt runs `talkbot ingest src` on data and kills it (SIGKILL)
// once its progress has reached file at, after a further delay.
func killIngestAt(t *testing.T, data, src string, at int, delay time.Duration) {
	t.Helper()
	c := cli(t, data, "ingest", src)
	progress, err := c.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(progress)
	for lines := 0; sc.Scan(); {
		if lines++; lines >= at {
			break
		}
	}
	time.Sleep(delay)
	_ = c.Process.Signal(syscall.SIGKILL)
	_, _ = io.Copy(io.Discard, progress)
	_ = c.Wait()
}

// dirDigest is every file's name and content hash in dir.
func dirDigest(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		out[p] = fmt.Sprintf("%x %v %v", sha256.Sum256(b), fi.Mode(), fi.ModTime().UnixNano())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// ask and sources leave every file of the data dir byte-identical (and
// create none), on an empty data dir and on a store.
func TestReadersLeaveDataDirUntouched(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"empty", "store", "store with snapshot"} {
		data := t.TempDir()
		if name != "empty" {
			if _, errOut, code := runIn(t, data, "ingest", fixtureDir(t)); code != 0 {
				t.Fatalf("ingest: %s", errOut)
			}
		}
		if name == "store with snapshot" {
			// Enough passages for ingest to write talkbot.snap, then one
			// more article so readers also apply changes behind it.
			if _, errOut, code := runIn(t, data, "ingest", articles(t, "eta", 2100, 1)); code != 0 {
				t.Fatalf("ingest: %s", errOut)
			}
			if _, errOut, code := runIn(t, data, "ingest", articles(t, "theta", 1, 1)); code != 0 {
				t.Fatalf("ingest: %s", errOut)
			}
			if _, err := os.Stat(filepath.Join(data, "talkbot.snap")); err != nil {
				t.Fatalf("no snapshot to read: %v", err)
			}
		}
		before := dirDigest(t, data)
		for _, args := range [][]string{{"ask", "How long did Witkoff meet Putin?"}, {"ask", "--json", "Geneva working groups"},
			{"sources"}, {"sources", "--json"}} {
			if _, errOut, code := runIn(t, data, args...); code != 0 {
				t.Fatalf("%s: %v exit %d: %s", name, args, code, errOut)
			}
			after := dirDigest(t, data)
			if fmt.Sprint(after) != fmt.Sprint(before) {
				t.Errorf("%s: %v changed the data dir:\nbefore %v\nafter  %v", name, args, before, after)
			}
		}
	}
}

// A path that does not exist is an error (exit 1, naming it); the paths
// that do exist are still ingested.
func TestIngestMissingPathFails(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	out, errOut, code := runIn(t, data, "ingest", fixtureDir(t), "/typo/path")
	if code != 1 || !strings.Contains(errOut, "/typo/path") {
		t.Fatalf("exit %d, stderr %q; want 1 naming the path", code, errOut)
	}
	if added, _, _ := summary(t, out); added != 2 {
		t.Errorf("the existing paths were not ingested: %s", out)
	}
}

// With the embedding server down and no store, ask still answers from the
// built-in articles by keywords, and says so.
func TestEmbeddingServerDownStillAnswers(t *testing.T) {
	t.Parallel()
	out, errOut, code := runCLI(t, map[string]string{"TALKBOT_DATA_DIR": t.TempDir(), "TALKBOT_EMBED_MODEL": "nomic-embed-text",
		"OPENAI_BASE_URL": "http://127.0.0.1:1/v1", "TALKBOT_LLM_RETRIES": "0"}, "ask", "--json", "How long did Witkoff meet Putin?")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if a := decodeOne(t, out); !a.Found || len(a.Citations) == 0 {
		t.Errorf("no keyword answer: %s", out)
	}
	if !strings.Contains(errOut, "note") || !strings.Contains(errOut, "keywords") {
		t.Errorf("no note about keyword answers: %q", errOut)
	}
}

// Ctrl-C (SIGINT) and SIGTERM stop an ingest promptly; what it committed
// is kept and counted, and a rerun finishes the job.
func TestIngestSignalStopsPromptlyKeepingCommitted(t *testing.T) {
	t.Parallel()
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		data := t.TempDir()
		const files = 1500
		src := articles(t, "epsilon", files, 1)
		c := cli(t, data, "ingest", src)
		var out bytes.Buffer
		c.Stdout = &out
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(400 * time.Millisecond)
		sent := time.Now()
		_ = c.Process.Signal(sig)
		err := c.Wait()
		took := time.Since(sent)
		if took > 3*time.Second {
			t.Errorf("%v: ingest took %s to stop", sig, took)
		}
		if err == nil {
			t.Logf("%v: ingest finished before the signal (%s); nothing to check", sig, out.String())
			continue
		}
		added, _, _ := summary(t, out.String())
		if got := len(storedIDs(t, data)) - 5; got != added {
			t.Errorf("%v: summary says added %d, the store has %d", sig, added, got)
		}
		out2, _, code := cliRun(t, data, "ingest", src)
		if a, u, unchanged := summary(t, out2); code != 0 || a != files-added || u != 0 || unchanged != added {
			t.Errorf("%v: rerun after the stop: %s", sig, out2)
		}
	}
}
