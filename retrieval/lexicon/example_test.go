package lexicon_test

import (
	"fmt"

	"github.com/talkbot/talkbot/retrieval/lexicon"
)

func Example() {
	l := lexicon.Default()
	fmt.Println(l.Lemma("began"), l.Lemma("negotiations"), l.Lemma("was"))
	fmt.Println(l.Known("hostages"), l.Known("gonna"))
	fmt.Println(l.Relation("started", "began"), l.Relation("agreed", "agreement"), l.Relation("russia", "ukraine"))
	fmt.Println(l.Synonyms("negotiations"))
	// Output:
	// begin negotiation be
	// true false
	// synonym derived none
	// [talks]
}

// On a hot path, look each word up once and compare the results.
func ExampleLexicon_Relate() {
	l := lexicon.Default()
	claim := l.Lookup("picked")
	for _, w := range []string{"chose", "arrested", "picking"} {
		fmt.Println(w, l.Relate(claim, l.Lookup(w)))
	}
	// Output:
	// chose synonym
	// arrested none
	// picking same
}

// A claim that swaps a word of its passage for its opposite is not
// supported by it.
func ExampleLexicon_Opposite() {
	l := lexicon.Default()
	passage := l.Lookup("criticized")
	for _, w := range []string{"praised", "slammed", "criticizes"} {
		fmt.Println(w, l.Opposite(l.Lookup(w), passage))
	}
	// Output:
	// praised true
	// slammed false
	// criticizes false
}
