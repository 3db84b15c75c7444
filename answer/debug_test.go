package answer

import (
	"context"
	"encoding/json"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/talkbot/talkbot/retrieval"
)

func TestDebugClaim(t *testing.T) {
	q, claims := os.Getenv("DQ"), os.Getenv("DC")
	if q == "" {
		t.Skip()
	}
	ix := seedIndex(t)
	res, _ := ix.Search(context.Background(), q, retrieval.SearchOptions{K: 6})
	sp := defaultSupporter()
	ev := sp.newEvidence(res.Hits)
	for _, c := range strings.Split(claims, "|") {
		claim := sp.analyse(c, "")
		ws := sp.claimWeights(&claim, func(s string) int { return ev.df[s] }, len(ev.hits))
		t.Logf("claim %q", c)
		for j, w := range claim.words {
			t.Logf("   %s stem=%s lemma=%s proper=%v w=%.2f df=%d", w.surface, w.stem, w.lemma, w.proper, ws[j], ev.df[w.stem])
		}
		for pi := range res.Hits {
			v, used := ev.judgeAgainst(sp, &claim, []int{pi})
			t.Logf("  [%d] %s score=%.2f miss=%q conf=%q used=%v", pi+1, res.Hits[pi].Passage.ID, v.score, v.missing, v.conflict, used)
		}
	}
}

func TestDebugTuning(t *testing.T) {
	if os.Getenv("DT") == "" {
		t.Skip()
	}
	raw, _ := os.ReadFile("testdata/citations.json")
	var cases []citeCase
	_ = json.Unmarshal(raw, &cases)
	ix := seedIndex(t)
	sp := defaultSupporter()
	for _, c := range cases {
		res, _ := ix.Search(context.Background(), c.Q, retrieval.SearchOptions{K: 6})
		ev := sp.newEvidence(res.Hits)
		claim := sp.analyse(c.S, "")
		for i, h := range res.Hits {
			ok := false
			for _, alt := range strings.Split(c.Evidence, "|") {
				ok = ok || strings.Contains(h.Passage.EmbedText(), alt)
			}
			v, _ := ev.judgeAgainst(sp, &claim, []int{i})
			good := v.supported(SupportThreshold)
			if ok != good {
				t.Logf("ok=%v %q vs [%d] score=%.2f miss=%q conf=%q best=%q", ok, c.S, i+1, v.score, v.missing, v.conflict, bestSent(ev, i, v.best))
			}
		}
	}
}

func bestSent(ev *evidence, pi, b int) string {
	if b < 0 {
		return ""
	}
	return ev.sents[pi][b].raw
}

func TestDebugQuestion(t *testing.T) {
	qs := os.Getenv("DX")
	if qs == "" {
		t.Skip()
	}
	ix := seedIndex(t)
	sp := defaultSupporter()
	for _, qq := range strings.Split(qs, "|") {
		res, _ := ix.Search(context.Background(), qq, retrieval.SearchOptions{K: 6})
		e := sp.newEvidence(res.Hits)
		q := sp.parseQuestion(qq)
		ws := sp.questionWeights(&q, e)
		t.Logf("Q %q type=%v summary=%v focus=%v", qq, q.typ, q.summary, q.focus)
		var total float64
		for j, w := range q.words {
			t.Logf("   %s stem=%s lemma=%s w=%.2f df=%d known=%v", w.surface, w.stem, w.lemma, ws[j], e.df[w.stem], sp.lex.Known(w.surface))
			total += ws[j]
		}
		type row struct {
			cov   float64
			s     string
			typed bool
			focus bool
		}
		var rows []row
		for pi, h := range e.hits {
			for si, st := range e.sents[pi] {
				var c float64
				for j, w := range q.words {
					c += ws[j] * max(sp.wordMatch(w, st), 0.5*sp.wordMatch(w, e.ctx[pi]))
				}
				rows = append(rows, row{c / total, h.Passage.ID + ": " + h.Passage.Sentences[si], hasType(q.typ, st, &q), sp.focusCovered(&q, e, pi, si)})
			}
		}
		sort.Slice(rows, func(i, j int) bool { return rows[i].cov > rows[j].cov })
		for _, r := range rows[:min(6, len(rows))] {
			t.Logf("  %.2f typed=%v focus=%v %s", r.cov, r.typed, r.focus, r.s)
		}
		a := sp.Extract(qq, res)
		t.Logf("  => %s", a.Text)
	}
}

func TestDebugReplies(t *testing.T) {
	only := os.Getenv("DR")
	if only == "" {
		t.Skip()
	}
	raw, _ := os.ReadFile("../cmd/talkbot/testdata/replies.json")
	var set struct {
		Questions []struct {
			ID, Question string
			Passages     map[string]string
			Replies      []struct {
				Style     string
				Planted   bool
				Sentences []struct {
					Text, Defect, Role string
					Support            []string
				}
			}
		}
	}
	if err := json.Unmarshal(raw, &set); err != nil {
		t.Fatal(err)
	}
	ix := seedIndex(t)
	sp := defaultSupporter()
	re := regexp.MustCompile(`\{(\w+)\}`)
	for _, q := range set.Questions {
		if only != "all" && !strings.Contains(only, q.ID) {
			continue
		}
		res, _ := ix.Search(context.Background(), SearchText(q.Question), retrieval.SearchOptions{K: 6})
		num := map[string]string{}
		for k, quote := range q.Passages {
			for i, h := range res.Hits {
				if strings.Contains(h.Passage.Text(), quote) {
					num[k] = strconv.Itoa(i + 1)
					break
				}
			}
		}
		ev := sp.newEvidence(res.Hits)
		for _, r := range q.Replies {
			for _, s := range r.Sentences {
				txt := re.ReplaceAllStringFunc(s.Text, func(m string) string { return num[m[1:len(m)-1]] })
				c := sp.verifyCitations(q.Question, txt, res.Hits)
				kept := c.Kept > 0
				want := len(s.Support) > 0
				if kept != want && s.Role == "" {
					t.Logf("%s %s defect=%q support=%v kept=%v: %q -> %q", q.ID, r.Style, s.Defect, s.Support, kept, txt, c.Text)
					for _, sg := range segments(stripMarkers(txt)) {
						_ = sg
					}
					claim := sp.analyse(stripMarkers(txt), "")
					for pi := range res.Hits {
						v, used := ev.judgeAgainst(sp, &claim, []int{pi})
						if v.score > 0.4 {
							t.Logf("     [%d] score=%.2f miss=%q conf=%q best=%q", pi+1, v.score, v.missing, v.conflict, bestSent(ev, pi, v.best))
							_ = used
						}
					}
				}
			}
		}
	}
}

func TestDebugScores(t *testing.T) {
	if os.Getenv("DS") == "" {
		t.Skip()
	}
	raw, _ := os.ReadFile("../cmd/talkbot/testdata/replies.json")
	var set struct {
		Questions []struct {
			ID, Question string
			Passages     map[string]string
			Replies      []struct {
				Style     string
				Sentences []struct {
					Text, Defect, Role string
					Support            []string
				}
			}
		}
	}
	_ = json.Unmarshal(raw, &set)
	ix := seedIndex(t)
	sp := defaultSupporter()
	re := regexp.MustCompile(`\{(\w+)\}`)
	var trueS, falseS []float64
	for _, q := range set.Questions {
		res, _ := ix.Search(context.Background(), SearchText(q.Question), retrieval.SearchOptions{K: 6})
		idx := map[string]int{}
		for k, quote := range q.Passages {
			for i, h := range res.Hits {
				if strings.Contains(h.Passage.Text(), quote) {
					idx[k] = i
					break
				}
			}
		}
		ev := sp.newEvidence(res.Hits)
		for _, r := range q.Replies {
			for _, s := range r.Sentences {
				if s.Role != "" || s.Defect == "out-of-range" || s.Defect == "wrong-citation" {
					continue
				}
				claim := sp.analyse(stripMarkdown(stripMarkers(re.ReplaceAllString(s.Text, ""))), "")
				best := 0.0
				if len(s.Support) > 0 {
					var pis []int
					for _, k := range s.Support {
						pis = append(pis, idx[k])
					}
					for _, pi := range pis {
						v, _ := ev.judgeAgainst(sp, &claim, []int{pi})
						sc := v.score
						if v.conflict != "" || v.missing != "" {
							sc = -v.score
							t.Logf("   why %q: missing=%q conflict=%q best=%q", s.Text, v.missing, v.conflict, bestSent(ev, pi, v.best))
						}
						best = max(best, sc)
					}
					v, _ := ev.judgeAgainst(sp, &claim, pis)
					if v.conflict == "" && v.missing == "" {
						best = max(best, v.score)
					}
					trueS = append(trueS, best)
					if best < 0.75 {
						t.Logf("TRUE %.2f %s %q", best, r.Style, s.Text)
					}
				} else {
					best = -1
					for pi := range res.Hits {
						v, _ := ev.judgeAgainst(sp, &claim, []int{pi})
						if v.conflict == "" && v.missing == "" {
							best = max(best, v.score)
						}
					}
					falseS = append(falseS, best)
					if best > 0.5 {
						t.Logf("FALSE %.2f %s %s %q", best, r.Style, s.Defect, s.Text)
					}
				}
			}
		}
	}
	for _, th := range []float64{0.5, 0.55, 0.6, 0.62, 0.65, 0.7, 0.75} {
		kt, kf := 0, 0
		for _, x := range trueS {
			if x >= th {
				kt++
			}
		}
		for _, x := range falseS {
			if x >= th {
				kf++
			}
		}
		t.Logf("th %.2f true kept %d/%d false kept %d/%d", th, kt, len(trueS), kf, len(falseS))
	}
}

func TestDebugInvention(t *testing.T) {
	c := os.Getenv("DI")
	if c == "" {
		t.Skip()
	}
	raw, _ := os.ReadFile("testdata/citations.json")
	var cases []citeCase
	_ = json.Unmarshal(raw, &cases)
	ix := seedIndex(t)
	sp := defaultSupporter()
	seen := map[string]bool{}
	for _, cc := range cases {
		res, _ := ix.Search(context.Background(), cc.Q, retrieval.SearchOptions{K: 6})
		ev := sp.newEvidence(res.Hits)
		claim := sp.analyse(c, "")
		for pi := range res.Hits {
			v, used := ev.judgeAgainst(sp, &claim, []int{pi})
			if v.supported(SupportThreshold) && !seen[res.Hits[pi].Passage.ID] {
				seen[res.Hits[pi].Passage.ID] = true
				for _, u := range used {
					t.Logf("%s score=%.2f: %q", res.Hits[pi].Passage.ID, v.score, ev.sents[pi][u].raw)
					for _, w := range claim.words {
						for _, x := range ev.sents[pi][u].words {
							if m := sp.wordMatch(w, &text{words: []word{x}, stems: map[string]bool{x.stem: true}, lemmas: map[string]bool{x.lemma: true}}); m > 0 {
								t.Logf("     %s ~ %s = %.2f", w.surface, x.surface, m)
							}
						}
					}
				}
			}
		}
	}
}
