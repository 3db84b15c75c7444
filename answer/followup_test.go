package answer

import (
	"context"
	"strings"
	"testing"
	"time"

	openai "github.com/sashabaranov/go-openai"
)

func TestTrackSubject(t *testing.T) {
	t.Parallel()
	turn := func(q string) Turn { return Turn{Question: q, Answer: "…"} }
	for _, tc := range []struct {
		name    string
		history []Turn
		want    []string // the standalone questions
	}{
		{"standalone questions stay as asked",
			[]Turn{turn("How long did Witkoff meet Putin?"), turn("What does Russia control in the Donbas region?")},
			[]string{"How long did Witkoff meet Putin?", "What does Russia control in the Donbas region?"}},
		{"the subject survives two follow-ups, not only the last turn",
			[]Turn{turn("What does Russia control in the Donbas region?"), turn("why?"), turn("what did putin say about that")},
			[]string{"What does Russia control in the Donbas region?", "why? (Russia Donbas)",
				"what did putin say about that (Russia Donbas)"}},
		{"a new topic replaces the subject",
			[]Turn{turn("What does Russia control in the Donbas region?"), turn("How long did Witkoff meet Putin?"), turn("why?")},
			[]string{"What does Russia control in the Donbas region?", "How long did Witkoff meet Putin?", "why? (Witkoff Putin)"}},
		{"small talk keeps the subject",
			[]Turn{turn("What does Russia control in the Donbas region?"), turn("thanks!"), turn("and Putin?")},
			[]string{"What does Russia control in the Donbas region?", "thanks!", "and Putin? (Russia Donbas)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := TrackSubject(tc.history)
			for k := range tc.want {
				if got[k].Question != tc.want[k] {
					t.Errorf("turn %d = %q, want %q", k, got[k].Question, tc.want[k])
				}
			}
			if tc.history[len(tc.history)-1].Question == got[len(got)-1].Question && strings.Contains(got[len(got)-1].Question, "(") {
				t.Errorf("TrackSubject modified its input")
			}
		})
	}
}

func TestTrackSubjectIsBounded(t *testing.T) {
	t.Parallel()
	h := []Turn{{Question: "What did Witkoff, Kushner, Rubio, Umerov, Zelensky, Putin, Dmitriev, Ushakov and Driscoll discuss in Miami and Moscow?"}}
	for range 20 {
		h = append(h, Turn{Question: "and then?"})
	}
	last := TrackSubject(h)[len(h)-1].Question
	inside := last[strings.Index(last, "(")+1 : len(last)-1]
	if n := len(strings.Fields(inside)); n > maxSubjectWords {
		t.Errorf("subject grew to %d words: %q", n, last)
	}
}

// TestFourTurnFollowUpKeepsSubject runs the offline engine over the seed
// articles through a four-turn conversation that only names its subject
// in the first question.
func TestFourTurnFollowUpKeepsSubject(t *testing.T) {
	t.Parallel()
	e := &Engine{Index: seedIndex(t)}
	questions := []string{"What does Russia control in the Donbas region?", "why?", "what did putin say about that", "and when?"}
	var history []Turn
	for k, q := range questions {
		a, err := e.Ask(context.Background(), Request{Question: q, History: TrackSubject(history)})
		if err != nil {
			t.Fatal(err)
		}
		if !a.Found {
			t.Fatalf("turn %d %q: not found", k+1, q)
		}
		quotes := ""
		for _, c := range a.Citations {
			quotes += c.Quote + " "
		}
		if !strings.Contains(quotes, "Donbas") {
			t.Errorf("turn %d %q lost the subject: %s", k+1, q, a.Text)
		}
		if k == 2 && !strings.Contains(quotes, "Putin") {
			t.Errorf("turn 3 %q does not quote Putin: %s", q, a.Text)
		}
		history = append(history, Turn{Question: q, Answer: a.Text})
	}
}

// TestLLMSeesTrackedSubject: the LLM prompts show only the last few turns;
// with the subject tracked, a subject named five turns back is still in
// them, so a model that resolves references from what it is shown keeps
// the topic.
func TestLLMSeesTrackedSubject(t *testing.T) {
	t.Parallel()
	f := newFakeLLM(t, func(req openai.ChatCompletionRequest) string {
		prompt := req.Messages[len(req.Messages)-1].Content
		if !req.Stream { // the rewrite: resolve "that" only from what is in the prompt
			if strings.Contains(prompt, "Donbas") {
				return "What did Zelensky say about Russia and the Donbas region?"
			}
			return "What did Zelensky say?"
		}
		n := citing(req, "Donbas")
		if n == "0" {
			return "The articles don't cover that."
		}
		return "Russia controls parts of the Donbas region [" + n + "]."
	})
	e := newEngine(t, f, 0, 5*time.Second)
	history := []Turn{
		{Question: "What does Russia control in the Donbas region?", Answer: "About a fifth of Ukraine [1]."},
		{Question: "why?", Answer: "A warning was issued [1]."},
		{Question: "what did putin say about that", Answer: "He warned the troops [1]."},
		{Question: "and when?", Answer: "This week [1]."},
	}
	a, err := e.Ask(context.Background(), Request{Question: "and what did Zelensky say about that?", History: TrackSubject(history)})
	if err != nil {
		t.Fatal(err)
	}
	reqs := f.Requests()
	if len(reqs) != 2 || !strings.Contains(reqs[0].Messages[1].Content, "Donbas") || !strings.Contains(reqs[1].Messages[1].Content, "Donbas") {
		t.Fatalf("the prompts lost the subject: %d requests", len(reqs))
	}
	if !a.Found || !strings.Contains(a.Citations[0].Quote, "Donbas") {
		t.Errorf("answer lost the subject: %+v", a)
	}
}
