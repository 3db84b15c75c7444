package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The README shows exactly what `talkbot eval` prints today.
func TestReadmeEvalTableIsCurrent(t *testing.T) {
	out, stderr, code := runCLI(t, nil, "eval")
	if code != 0 {
		t.Fatalf("eval exit %d: %s", code, stderr)
	}
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "$ talkbot eval\n"+out) {
		t.Errorf("README's eval table is stale; `talkbot eval` prints:\n%s", out)
	}
}

// Hybrid retrieval is at least as good as the better single retriever.
func TestEvalHybridAtLeastAsGoodAsEither(t *testing.T) {
	out, _, code := runCLI(t, nil, "eval", "--json")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	var sets map[string][]evalScores
	if err := json.Unmarshal([]byte(out), &sets); err != nil {
		t.Fatal(err)
	}
	by := map[string]evalScores{}
	for _, s := range sets["older"] {
		by[s.Mode] = s
	}
	h, b, v := by["hybrid"], by["bm25"], by["vector"]
	if h.Questions < 40 || h.Unanswerable < 8 {
		t.Errorf("question set too small: %d questions, %d unanswerable", h.Questions, h.Unanswerable)
	}
	if h.RecallAt5 < max(b.RecallAt5, v.RecallAt5) || h.MRR < max(b.MRR, v.MRR) {
		t.Errorf("hybrid recall@5 %.3f MRR %.3f below bm25 (%.3f, %.3f) or vector (%.3f, %.3f)",
			h.RecallAt5, h.MRR, b.RecallAt5, b.MRR, v.RecallAt5, v.MRR)
	}
	// Regression guards at the measured level (126 questions; see README).
	if h.NotFoundAcc < 0.8 || h.FactHitRate < 0.65 {
		t.Errorf("answers regressed: not-found accuracy %.3f, fact hit rate %.3f", h.NotFoundAcc, h.FactHitRate)
	}
}

// The Discord-style set is typed as people type, and eval reports each
// kind of question on it.
func TestDiscordSetKinds(t *testing.T) {
	qs, err := parseEvalSet(discordSet)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, q := range qs {
		kinds[kindOf(q)]++
		if q.Question != strings.ToLower(q.Question) {
			t.Errorf("%s is not typed lowercase as in Discord: %q", q.ID, q.Question)
		}
		if (q.Kind == kindAnswerable || q.Kind == kindSummary) != q.Answerable {
			t.Errorf("%s: kind %s but answerable %v", q.ID, q.Kind, q.Answerable)
		}
	}
	if len(qs) < 60 || kinds[kindAnswerable] < 35 || kinds[kindNearTopic] < 12 || kinds[kindSummary] < 5 || kinds[kindGreeting] < 2 {
		t.Errorf("Discord set too small: %d questions, kinds %v", len(qs), kinds)
	}
	out, _, code := runCLI(t, nil, "eval", "--json", "--set", "evalset_discord.json")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	var scores []evalScores
	if err := json.Unmarshal([]byte(out), &scores); err != nil {
		t.Fatal(err)
	}
	for _, s := range scores {
		k := s.Kinds
		if k == nil || k.Answerable != kinds[kindAnswerable] || k.NearTopic != kinds[kindNearTopic] || k.Summary != kinds[kindSummary] || k.Greeting != kinds[kindGreeting] {
			t.Errorf("%s: per-kind figures %+v do not count the set's kinds %v", s.Mode, k, kinds)
		}
	}
}
