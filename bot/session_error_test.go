package bot

import (
	"net"
	"strings"
	"testing"
)

// A gateway that cannot be reached is named by the URL the request really
// went to (DISCORD_API_URL), not by discord.com, so a wrong setting shows.
func TestGatewayErrorNamesTheConfiguredURL(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	for _, api := range []string{"http://" + addr + "/api/v9/", "http://" + addr + "/api/v10"} {
		s, err := NewSession("abc.def.ghi", api)
		if err != nil {
			t.Fatal(err)
		}
		err = whereItWent(s.Open())
		if err == nil {
			s.Close()
			t.Fatalf("%s: connected to nothing", api)
		}
		if msg := err.Error(); !strings.Contains(msg, addr) || strings.Contains(msg, "discord.com") || strings.Contains(msg, "abc.def.ghi") {
			t.Errorf("%s: error %q should name %s, not discord.com, and never the token", api, msg, addr)
		}
	}
}
