package bot

import (
	"regexp"
	"strings"
)

// otherMentionRe matches Discord's mention syntax for users (<@123>,
// <@!123>), roles (<@&123>) and channels (<#123>).
var otherMentionRe = regexp.MustCompile(`<(?:@[!&]?|#)\d+>`)

// stripMentions removes user, role and channel mentions from a question:
// they are IDs, not words, and searching them matched articles that
// happened to contain the digits.
func stripMentions(s string) string {
	if !strings.Contains(s, "<") {
		return s
	}
	return strings.Join(strings.Fields(otherMentionRe.ReplaceAllString(s, " ")), " ")
}
