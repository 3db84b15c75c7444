package main

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	openai "github.com/sashabaranov/go-openai"

	"github.com/talkbot/talkbot/answer"
	"github.com/talkbot/talkbot/retrieval"
)

// The replay end to end (CLI, local server, streaming, real go-openai
// client, real Engine and citation check) on a small set: a verbatim true
// sentence must be scored as kept and correctly cited, an invented
// sentence with an out-of-range marker as removed, and a citation of a
// passage the prompt does not hold as unmappable. These outcomes hold for
// any sound citation check, so the test checks the harness, not tuning.
func TestReplayScoresKnownGoodAndBadReplies(t *testing.T) {
	good := map[string]any{"text": "US Special Envoy Witkoff met with Russian President Vladimir Putin for approximately five hours earlier in the week [{b5h}].", "support": []string{"b5h", "e5h"}}
	set := map[string]any{"about": "test replies", "questions": []any{map[string]any{
		"id": "t1", "question": "How long did Witkoff meet Putin?", "answerable": true, "facts": []string{"five hours|five-hour"},
		"passages": map[string]string{
			"b5h":  "met with Russian President Vladimir Putin for approximately five hours",
			"e5h":  "nearly five-hour session between Witkoff and Putin",
			"clap": "with the UK labeling them as “Kremlin claptrap.”",
		},
		"replies": []any{
			map[string]any{"style": "strong", "sentences": []any{good}},
			map[string]any{"style": "strong", "planted": true, "sentences": []any{good,
				map[string]any{"text": "Witkoff and Putin also signed a grain export deal [9].", "defect": "out-of-range"}}},
			map[string]any{"style": "small", "sentences": []any{
				map[string]any{"text": "The UK called it Kremlin claptrap.[{clap}]", "support": []string{"clap"}}}},
		},
	}}}
	b, err := json.Marshal(set)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "replies.json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := runCLI(t, nil, "eval", "--replies", path, "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var got struct {
		Styles []styleScores `json:"styles"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v in %s", err, out)
	}
	by := map[string]styleScores{}
	for _, s := range got.Styles {
		by[s.Style] = s
	}
	st, sm := by[styleStrong], by[styleSmall]
	if st.TrueSentences != 1 || st.KeptCorrect != 1 {
		t.Errorf("verbatim true sentence: kept %d of %d, want 1 of 1 (misses %v)", st.KeptCorrect, st.TrueSentences, st.Misses)
	}
	if st.Defects[defectOutOfRange] != 1 || st.DefectsHandled[defectOutOfRange] != 1 {
		t.Errorf("invented sentence with [9]: handled %d of %d, want 1 of 1 (misses %v)",
			st.DefectsHandled[defectOutOfRange], st.Defects[defectOutOfRange], st.Misses)
	}
	if st.Facts != 1 || st.FactsKept != 1 || st.LostNotFound != 0 {
		t.Errorf("key facts kept %d of %d, lost to not-found %d; want 1 of 1 and 0", st.FactsKept, st.Facts, st.LostNotFound)
	}
	if sm.Unmappable != 1 || sm.TrueSentences != 0 {
		t.Errorf("citation of a passage missing from the prompt: unmappable %d, scored %d; want 1 and 0", sm.Unmappable, sm.TrueSentences)
	}
	// The text report prints the same figures.
	text, _, code := runCLI(t, nil, "eval", "--replies="+path)
	if code != 0 || !strings.Contains(text, "true sentences kept, cited right") || !strings.Contains(text, "1/1 1.00") {
		t.Errorf("text report (exit %d):\n%s", code, text)
	}
}

// scoreReply judges a labelled sentence by what the answer shows: the
// sentence found despite bold, preamble and marker changes, and each marker
// mapped through the answer's citations to a passage in its support set.
func TestScoreReplyJudgesTheShownAnswer(t *testing.T) {
	hits := []retrieval.Hit{
		{Passage: retrieval.Passage{ID: "d#0", DocID: "d", Sentences: []string{"Witkoff met Putin for five hours in Moscow."}}},
		{Passage: retrieval.Passage{ID: "d#1", DocID: "d", Sentences: []string{"The UK called the remarks claptrap."}}},
	}
	q := replyQuestion{ID: "q", Question: "How long did Witkoff meet Putin?", Answerable: true, Facts: []string{"five hours"},
		Passages: map[string]string{"a": "five hours in Moscow", "b": "claptrap"}}
	on := func(n int, id string) answer.Citation { return answer.Citation{N: n, Passage: id} }
	tests := []struct {
		name     string
		sentence labelledSentence
		planted  bool
		text     string
		cites    []answer.Citation
		// want: true sentences kept right (faithful) or defects handled (planted)
		want int
	}{
		{"kept, cited right", labelledSentence{Text: "Witkoff met Putin for five hours [{a}].", Support: []string{"a"}}, false,
			"Witkoff met Putin for five hours [1].", []answer.Citation{on(1, "d#0")}, 1},
		{"preamble cut, bold and marker moved", labelledSentence{Text: "Based on the passages, **Witkoff met Putin for five hours**.[{a}]", Support: []string{"a"}}, false,
			"Witkoff met Putin for five hours [1].", []answer.Citation{on(1, "d#0")}, 1},
		{"re-cited to a passage that does not support it", labelledSentence{Text: "Witkoff met Putin for five hours [{a}].", Support: []string{"a"}}, false,
			"Witkoff met Putin for five hours [1].", []answer.Citation{on(1, "d#1")}, 0},
		{"per-clause markers moved to the first clause", labelledSentence{Text: "Witkoff met Putin [{a}], and for five hours [{a}].", Support: []string{"a"}}, false,
			"Witkoff met Putin [1], and for five hours.", []answer.Citation{on(1, "d#0")}, 1},
		{"one of two markers wrong", labelledSentence{Text: "Witkoff met Putin for five hours [{a}].", Support: []string{"a"}}, false,
			"Witkoff met Putin for five hours [1][2].", []answer.Citation{on(1, "d#0"), on(2, "d#1")}, 0},
		{"shown without a marker", labelledSentence{Text: "Witkoff met Putin for five hours [{a}].", Support: []string{"a"}}, false,
			"Witkoff met Putin for five hours.", nil, 0},
		{"removed", labelledSentence{Text: "Witkoff met Putin for five hours [{a}].", Support: []string{"a"}}, false,
			"The UK called the remarks claptrap [1].", []answer.Citation{on(1, "d#1")}, 0},
		{"own-words falsehood removed", labelledSentence{Text: "Witkoff met Putin for six hours [{a}].", Defect: defectOwnWords}, true,
			"The UK called the remarks claptrap [1].", []answer.Citation{on(1, "d#1")}, 1},
		{"own-words falsehood shown", labelledSentence{Text: "Witkoff met Putin for six hours [{a}].", Defect: defectOwnWords}, true,
			"Witkoff met Putin for six hours [1].", []answer.Citation{on(1, "d#0")}, 0},
		{"own-words falsehood shown uncited", labelledSentence{Text: "Witkoff met Putin for six hours [{a}].", Defect: defectOwnWords}, true,
			"Witkoff met Putin for six hours.", nil, 0},
		{"wrong citation fixed", labelledSentence{Text: "Witkoff met Putin for five hours [{b}].", Support: []string{"a"}, Defect: defectWrongCitation}, true,
			"Witkoff met Putin for five hours [1].", []answer.Citation{on(1, "d#0")}, 1},
		{"wrong citation kept", labelledSentence{Text: "Witkoff met Putin for five hours [{b}].", Support: []string{"a"}, Defect: defectWrongCitation}, true,
			"Witkoff met Putin for five hours [1].", []answer.Citation{on(1, "d#1")}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newStyleScores(styleStrong)
			r := labelledReply{Style: styleStrong, Planted: tt.planted, Sentences: []labelledSentence{tt.sentence}}
			a := answer.Answer{Text: tt.text, Found: true, Mode: answer.ModeLLM, Citations: tt.cites, Hits: hits}
			scoreReply(s, q, r, a)
			got := s.KeptCorrect
			if tt.planted {
				got = s.DefectsHandled[tt.sentence.Defect]
				if s.Defects[tt.sentence.Defect] != 1 {
					t.Fatalf("defect not counted: %v", s.Defects)
				}
			} else if s.TrueSentences != 1 {
				t.Fatalf("true sentences %d, want 1", s.TrueSentences)
			}
			if got != tt.want {
				t.Errorf("scored %d, want %d (misses %v)", got, tt.want, s.Misses)
			}
		})
	}
}

// The local server serves the non-streaming API too (the Engine uses it to
// rewrite follow-ups), renders {key} to the prompt's passage number, and
// refuses a prompt whose question is not the reply's.
func TestReplayServerRendersMarkersFromThePrompt(t *testing.T) {
	rs := &replySet{Questions: []replyQuestion{{ID: "q", Question: "How long?", Passages: map[string]string{"a": "five hours"},
		Replies: []labelledReply{{Style: styleSmall, Sentences: []labelledSentence{{Text: "Five hours.[{a}, {a}]"}, {Text: "\nSources: [{a}]", Role: roleTrailer}}}}}}}
	ts := httptest.NewServer(&replayServer{set: rs, prompts: map[string]string{}})
	defer ts.Close()
	client := answer.NewOpenAIClient(answer.ClientOptions{BaseURL: ts.URL + "/v1"})
	prompt := func(q string) []openai.ChatCompletionMessage {
		return []openai.ChatCompletionMessage{{Role: "user", Content: "<data>\n<passages>\n" +
			"<passage n=\"1\" doc=\"x\" title=\"t\">\nThe UK said claptrap.\n</passage>\n" +
			"<passage n=\"2\" doc=\"y\" title=\"t\">\n(section: S)\nThey met for five\nhours.\n</passage>\n" +
			"</passages>\n<question>\n" + q + "\n</question>\n</data>"}}
	}
	resp, err := client.CreateChatCompletion(context.Background(), openai.ChatCompletionRequest{Model: replyModel(0, 0), Messages: prompt("How long?")})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := resp.Choices[0].Message.Content, "Five hours.[2, 2]\nSources: [2]"; got != want {
		t.Errorf("reply %q, want %q", got, want)
	}
	if _, err := client.CreateChatCompletion(context.Background(), openai.ChatCompletionRequest{Model: replyModel(0, 0), Messages: prompt("Who?")}); err == nil {
		t.Error("a prompt with another question got a reply")
	}
}

// The built-in reply set is as large and as varied as the brief asks.
func TestBuiltinReplySetCoversTheBrief(t *testing.T) {
	rs, err := loadReplySet("")
	if err != nil {
		t.Fatal(err)
	}
	defects := map[string]int{}
	var disagree, unanswerable, total int
	for _, q := range rs.Questions {
		faithful := map[string]bool{}
		for _, r := range q.Replies {
			if !r.Planted {
				faithful[r.Style] = true
			}
			for _, s := range r.Sentences {
				if s.Defect != "" {
					defects[s.Defect]++
					total++
				}
				if r.Planted && s.Defect == "" && s.Role == roleClaim && len(s.Support) == 0 {
					t.Errorf("%s: unlabelled false sentence in a planted reply: %s", q.ID, s.Text)
				}
			}
		}
		if !faithful[styleStrong] || !faithful[styleSmall] {
			t.Errorf("%s lacks a faithful reply in both styles", q.ID)
		}
		if q.Disagree {
			disagree++
		}
		if !q.Answerable {
			unanswerable++
		}
	}
	if len(rs.Questions) < 25 || disagree < 2 || unanswerable < 3 || total < 40 || defects[defectOwnWords] < 15 {
		t.Errorf("%d questions (%d disagree, %d unanswerable), %d defects %v", len(rs.Questions), disagree, unanswerable, total, defects)
	}
	for _, d := range defectTypes {
		if defects[d] == 0 {
			t.Errorf("no %s defect planted", d)
		}
	}
	if !strings.Contains(rs.About, "written by a language model") {
		t.Error("the set must say its replies were written by a language model imitating each style")
	}
}

// The README shows exactly what `talkbot eval --replies` prints today.
func TestReadmeReplayTableIsCurrent(t *testing.T) {
	out, stderr, code := runCLI(t, nil, "eval", "--replies")
	if code != 0 {
		t.Fatalf("eval --replies exit %d: %s", code, stderr)
	}
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "$ talkbot eval --replies\n"+out) {
		t.Errorf("README's replay table is stale; `talkbot eval --replies` prints:\n%s", out)
	}
}
