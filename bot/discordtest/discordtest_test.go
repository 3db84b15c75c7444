package discordtest_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/talkbot/talkbot/bot/discordtest"
)

// open connects a real discordgo session to srv after setup has registered
// handlers, and waits for READY.
func open(t *testing.T, srv *discordtest.Server, setup func(dg *discordgo.Session)) *discordgo.Session {
	t.Helper()
	dg := srv.Session(t, "test-token")
	if setup != nil {
		setup(dg)
	}
	if err := dg.Open(); err != nil {
		t.Fatalf("Open: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.WaitIdentified(ctx); err != nil {
		t.Fatal(err)
	}
	return dg
}

func ctx5(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func restCode(err error) int {
	var re *discordgo.RESTError
	if errors.As(err, &re) && re.Message != nil {
		return re.Message.Code
	}
	return -1
}

func TestReadyIdentifyAndGateway(t *testing.T) {
	t.Parallel()
	srv := discordtest.New(t)
	ready := make(chan *discordgo.Ready, 1)
	dg := open(t, srv, func(dg *discordgo.Session) {
		dg.AddHandler(func(_ *discordgo.Session, r *discordgo.Ready) { ready <- r })
	})
	select {
	case r := <-ready:
		if r.User.ID != srv.BotUserID() || !r.User.Bot || r.Application.ID != srv.AppID() || r.SessionID == "" {
			t.Fatalf("READY = user %+v app %+v session %q", r.User, r.Application, r.SessionID)
		}
	case <-ctx5(t).Done():
		t.Fatal("no READY")
	}
	if got := srv.Token(); got != "Bot test-token" {
		t.Errorf("identify token = %q", got)
	}
	if srv.Intents() != discordgo.IntentsAllWithoutPrivileged {
		t.Errorf("intents = %d", srv.Intents())
	}
	if dg.State.User.ID != srv.BotUserID() {
		t.Errorf("state user = %q", dg.State.User.ID)
	}
	// Open asked GET gateway, through the rewriting transport.
	if _, err := srv.WaitRequest(ctx5(t), func(r discordtest.Request) bool { return r.Path == "/gateway" }); err != nil {
		t.Fatal(err)
	}
	for _, r := range srv.Requests() {
		if r.Header.Get("Authorization") != "" {
			t.Errorf("recorded request keeps the Authorization header")
		}
	}
}

func TestSlashCommandDeferredThenEditedWithEmbed(t *testing.T) {
	t.Parallel()
	srv := discordtest.New(t)
	got := make(chan discordgo.ApplicationCommandInteractionData, 1)
	errs := make(chan error, 2)
	open(t, srv, func(dg *discordgo.Session) {
		dg.AddHandler(func(s *discordgo.Session, ic *discordgo.InteractionCreate) {
			got <- ic.ApplicationCommandData()
			errs <- s.InteractionRespond(ic.Interaction, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredChannelMessageWithSource})
			_, err := s.InteractionResponseEdit(ic.Interaction, &discordgo.WebhookEdit{Embeds: &[]*discordgo.MessageEmbed{{
				Description: "Talks resume in Geneva [1].",
				Fields:      []*discordgo.MessageEmbedField{{Name: "Sources", Value: "[1] Talks — “resume”"}},
			}}})
			errs <- err
		})
	})
	i := discordtest.SlashCommand("ask", map[string]any{"question": "where are the talks?", "private": false}, "42", "c1")
	sent := time.Now()
	if err := srv.DispatchInteraction(ctx5(t), i); err != nil {
		t.Fatal(err)
	}
	if i.ID == "" || i.Token == "" || i.AppID != srv.AppID() {
		t.Fatalf("DispatchInteraction did not fill ids: %+v", i)
	}
	d := <-got
	if d.Name != "ask" || d.GetOption("question").StringValue() != "where are the talks?" || d.GetOption("private").BoolValue() {
		t.Fatalf("handler got data %+v", d)
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	cb, err := srv.WaitRequest(ctx5(t), func(r discordtest.Request) bool { return strings.HasSuffix(r.Path, "/callback") })
	if err != nil {
		t.Fatal(err)
	}
	if cb.Path != "/interactions/"+i.ID+"/"+i.Token+"/callback" || cb.Body["type"] != float64(5) || cb.Status != http.StatusNoContent {
		t.Errorf("callback = %s %v status %d", cb.Path, cb.Body, cb.Status)
	}
	t.Logf("event to defer: %v", cb.At.Sub(sent))
	edit, err := srv.WaitRequest(ctx5(t), func(r discordtest.Request) bool { return r.Method == http.MethodPatch })
	if err != nil {
		t.Fatal(err)
	}
	if edit.Path != "/webhooks/"+srv.AppID()+"/"+i.Token+"/messages/@original" || edit.Status != http.StatusOK {
		t.Errorf("edit = %s status %d", edit.Path, edit.Status)
	}
	embeds, _ := edit.Body["embeds"].([]any)
	if len(embeds) != 1 || embeds[0].(map[string]any)["description"] != "Talks resume in Geneva [1]." {
		t.Errorf("edit body embeds = %v", edit.Body["embeds"])
	}
	orig := srv.Original(i.ID)
	if orig == nil || len(orig.Embeds) != 1 || orig.Flags&discordgo.MessageFlagsLoading != 0 || orig.EditedTimestamp == nil {
		t.Fatalf("original = %+v", orig)
	}
	if msgs := srv.Messages("c1"); len(msgs) != 1 || msgs[0].ID != orig.ID || msgs[0].Embeds[0].Fields[0].Name != "Sources" {
		t.Errorf("Messages(c1) = %+v", msgs)
	}
}

func TestInteractionRules(t *testing.T) {
	t.Parallel()
	srv := discordtest.New(t, discordtest.Options{InteractionTimeout: 300 * time.Millisecond})
	dg := open(t, srv, nil)
	ack := &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredChannelMessageWithSource}

	i := discordtest.SlashCommand("help", nil, "1", "c1")
	if err := srv.DispatchInteraction(ctx5(t), i); err != nil {
		t.Fatal(err)
	}
	if _, err := dg.InteractionResponseEdit(i, &discordgo.WebhookEdit{Content: new("early")}); restCode(err) != 10015 {
		t.Errorf("edit before ack: err %v, want Unknown Webhook", err)
	}
	if err := dg.InteractionRespond(i, ack); err != nil {
		t.Fatal(err)
	}
	if err := dg.InteractionRespond(i, ack); restCode(err) != 40060 {
		t.Errorf("second callback: err %v, want already acknowledged", err)
	}
	if _, err := dg.InteractionResponseEdit(i, &discordgo.WebhookEdit{Content: new("")}); restCode(err) != 50006 {
		t.Errorf("empty edit of a deferred answer: err %v, want empty message", err)
	}

	late := discordtest.SlashCommand("help", nil, "1", "c1")
	if err := srv.DispatchInteraction(ctx5(t), late); err != nil {
		t.Fatal(err)
	}
	time.Sleep(400 * time.Millisecond)
	if err := dg.InteractionRespond(late, ack); restCode(err) != 10062 {
		t.Errorf("late callback: err %v, want Unknown interaction", err)
	}

	ac := discordtest.Autocomplete("source", "id", "gen", "1", "c1")
	if err := srv.DispatchInteraction(ctx5(t), ac); err != nil {
		t.Fatal(err)
	}
	many := make([]*discordgo.ApplicationCommandOptionChoice, 26)
	for k := range many {
		many[k] = &discordgo.ApplicationCommandOptionChoice{Name: "n", Value: "v"}
	}
	if err := dg.InteractionRespond(ac, &discordgo.InteractionResponse{Type: discordgo.InteractionApplicationCommandAutocompleteResult,
		Data: &discordgo.InteractionResponseData{Choices: many}}); restCode(err) != 50035 {
		t.Errorf("26 choices: err %v, want invalid form", err)
	}
	if err := dg.InteractionRespond(ac, &discordgo.InteractionResponse{Type: discordgo.InteractionApplicationCommandAutocompleteResult,
		Data: &discordgo.InteractionResponseData{Choices: many[:25]}}); err != nil {
		t.Errorf("25 choices: %v", err)
	}
}

func TestButtonClickUpdatesMessage(t *testing.T) {
	t.Parallel()
	srv := discordtest.New(t)
	dg := open(t, srv, nil)
	srv.StoreMessage(discordtest.GuildMessage("<@"+srv.BotUserID()+"> q", "7", "c1"))
	answer, err := dg.ChannelMessageSendComplex("c1", &discordgo.MessageSend{Content: "answer", Components: []discordgo.MessageComponent{
		discordgo.ActionsRow{Components: []discordgo.MessageComponent{discordgo.Button{Label: "👍", CustomID: "vote:up", Style: discordgo.SecondaryButton}}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	click := discordtest.ButtonClick("vote:up", "7", "c1", answer)
	clicked := make(chan string, 1)
	dg.AddHandler(func(_ *discordgo.Session, ic *discordgo.InteractionCreate) {
		if ic.Type == discordgo.InteractionMessageComponent {
			clicked <- ic.MessageComponentData().CustomID + " on " + ic.Message.ID + " with " + ic.Message.Components[0].(*discordgo.ActionsRow).Components[0].(*discordgo.Button).CustomID
		}
	})
	if err := srv.DispatchInteraction(ctx5(t), click); err != nil {
		t.Fatal(err)
	}
	if got, want := <-clicked, "vote:up on "+answer.ID+" with vote:up"; got != want {
		t.Errorf("handler saw %q, want %q", got, want)
	}
	if err := dg.InteractionRespond(click, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseUpdateMessage,
		Data: &discordgo.InteractionResponseData{Content: "answer (thanks!)", Components: []discordgo.MessageComponent{}}}); err != nil {
		t.Fatal(err)
	}
	if m := srv.Message(answer.ID); m.Content != "answer (thanks!)" || len(m.Components) != 0 {
		t.Errorf("after update: %q, %d component rows", m.Content, len(m.Components))
	}
}

func TestMessageCreate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		intents     discordgo.Intent
		msg         func(bot string, prior *discordgo.Message) *discordgo.Message
		wantContent string
		wantErr     error
	}{
		{"guild mention", discordgo.IntentsAllWithoutPrivileged,
			func(bot string, _ *discordgo.Message) *discordgo.Message {
				return discordtest.GuildMessage("<@"+bot+"> who mediates?", "5", "c1")
			}, "<@BOT> who mediates?", nil},
		{"guild without mention loses content without the intent", discordgo.IntentsAllWithoutPrivileged,
			func(_ string, _ *discordgo.Message) *discordgo.Message {
				return discordtest.GuildMessage("just chatting", "5", "c1")
			}, "", nil},
		{"guild without mention with the content intent", discordgo.IntentsAllWithoutPrivileged | discordgo.IntentsMessageContent,
			func(_ string, _ *discordgo.Message) *discordgo.Message {
				return discordtest.GuildMessage("just chatting", "5", "c1")
			}, "just chatting", nil},
		{"DM", discordgo.IntentsDirectMessages,
			func(_ string, _ *discordgo.Message) *discordgo.Message {
				return discordtest.DirectMessage("hello", "5", "dm5")
			}, "hello", nil},
		{"reply to the bot pings it", discordgo.IntentsAllWithoutPrivileged,
			func(_ string, prior *discordgo.Message) *discordgo.Message {
				return discordtest.Reply(prior, "and then?", "5")
			}, "and then?", nil},
		{"guild message without GUILD_MESSAGES", discordgo.IntentsDirectMessages,
			func(bot string, _ *discordgo.Message) *discordgo.Message {
				return discordtest.GuildMessage("<@"+bot+"> hi", "5", "c1")
			}, "", discordtest.ErrNotDelivered},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := discordtest.New(t)
			got := make(chan *discordgo.MessageCreate, 4)
			open(t, srv, func(dg *discordgo.Session) {
				dg.Identify.Intents = tc.intents
				dg.AddHandler(func(_ *discordgo.Session, m *discordgo.MessageCreate) {
					if m.Author.ID != srv.BotUserID() {
						got <- m
					}
				})
			})
			prior := &discordgo.Message{ChannelID: "c1", GuildID: discordtest.DefaultGuildID, Author: &discordgo.User{ID: srv.BotUserID(), Bot: true}, Content: "earlier answer"}
			srv.StoreMessage(prior)
			m := tc.msg(srv.BotUserID(), prior)
			err := srv.DispatchMessage(ctx5(t), m)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var mc *discordgo.MessageCreate
			select {
			case mc = <-got:
			case <-ctx5(t).Done():
				t.Fatal("MESSAGE_CREATE not received")
			}
			want := strings.ReplaceAll(tc.wantContent, "BOT", srv.BotUserID())
			if mc.Content != want || mc.ID != m.ID || mc.GuildID != m.GuildID {
				t.Errorf("got %q (id %s guild %q), want %q (id %s)", mc.Content, mc.ID, mc.GuildID, want, m.ID)
			}
			if m.MessageReference != nil {
				if mc.ReferencedMessage == nil || mc.ReferencedMessage.Content != "earlier answer" || mc.Type != discordgo.MessageTypeReply {
					t.Errorf("referenced = %+v", mc.ReferencedMessage)
				}
				// The bot can walk the chain over REST.
				dgm, err := srv.Session(t, "x").ChannelMessage("c1", m.MessageReference.MessageID)
				if err != nil || dgm.Content != "earlier answer" {
					t.Errorf("GET referenced = %v, %v", dgm, err)
				}
			}
		})
	}
}

func TestBotMessagesAreEchoedAndMentionsFiltered(t *testing.T) {
	t.Parallel()
	srv := discordtest.New(t)
	own := make(chan *discordgo.MessageCreate, 4)
	dg := open(t, srv, func(dg *discordgo.Session) {
		dg.AddHandler(func(_ *discordgo.Session, m *discordgo.MessageCreate) { own <- m })
	})
	srv.StoreMessage(discordtest.GuildMessage("hi", "5", "c1"))
	safe, err := dg.ChannelMessageSendComplex("c1", &discordgo.MessageSend{
		Content: "@everyone <@5> <@&9>", AllowedMentions: &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(safe.Mentions) != 0 || safe.MentionEveryone || len(safe.MentionRoles) != 0 {
		t.Errorf("empty allowed_mentions still pings: %+v %v %v", safe.Mentions, safe.MentionEveryone, safe.MentionRoles)
	}
	loud, err := dg.ChannelMessageSend("c1", "@everyone <@5>")
	if err != nil {
		t.Fatal(err)
	}
	if len(loud.Mentions) != 1 || !loud.MentionEveryone {
		t.Errorf("no allowed_mentions should ping like Discord: %+v %v", loud.Mentions, loud.MentionEveryone)
	}
	// Both are echoed; discordgo runs handlers on their own goroutines, so
	// the order they reach the handler in is not the order they were sent.
	ctx := ctx5(t)
	echoed := map[string]*discordgo.Message{}
	for len(echoed) < 2 {
		select {
		case m := <-own:
			echoed[m.ID] = m.Message
		case <-ctx.Done():
			t.Fatalf("own messages not echoed: got %d of 2", len(echoed))
		}
	}
	for _, sent := range []*discordgo.Message{safe, loud} {
		m := echoed[sent.ID]
		if m == nil || m.Author.ID != srv.BotUserID() || m.Content != sent.Content {
			t.Errorf("echo of %s = %+v", sent.ID, m)
		}
	}
}

func TestMessageLimits(t *testing.T) {
	t.Parallel()
	srv := discordtest.New(t, discordtest.Options{NoEcho: true})
	dg := open(t, srv, nil)
	srv.StoreMessage(discordtest.DirectMessage("hi", "5", "dm"))
	field := func(n int) []*discordgo.MessageEmbedField {
		fs := make([]*discordgo.MessageEmbedField, n)
		for k := range fs {
			fs[k] = &discordgo.MessageEmbedField{Name: "n", Value: "v"}
		}
		return fs
	}
	tests := []struct {
		name string
		msg  discordgo.MessageSend
		code int
	}{
		{"2000 content ok", discordgo.MessageSend{Content: strings.Repeat("é", 2000)}, 0},
		{"2001 content", discordgo.MessageSend{Content: strings.Repeat("a", 2001)}, 50035},
		{"empty", discordgo.MessageSend{Content: "  "}, 50006},
		{"4097 description", discordgo.MessageSend{Embeds: []*discordgo.MessageEmbed{{Description: strings.Repeat("a", 4097)}}}, 50035},
		{"26 fields", discordgo.MessageSend{Embeds: []*discordgo.MessageEmbed{{Fields: field(26)}}}, 50035},
		{"1025 field value", discordgo.MessageSend{Embeds: []*discordgo.MessageEmbed{{Fields: []*discordgo.MessageEmbedField{{Name: "a", Value: strings.Repeat("v", 1025)}}}}}, 50035},
		{"6001 across embeds", discordgo.MessageSend{Embeds: []*discordgo.MessageEmbed{{Description: strings.Repeat("a", 4000)}, {Description: strings.Repeat("a", 2001)}}}, 50035},
		{"25 fields ok", discordgo.MessageSend{Embeds: []*discordgo.MessageEmbed{{Fields: field(25)}}}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			msg := tc.msg
			_, err := dg.ChannelMessageSendComplex("dm", &msg)
			if got := restCode(err); (tc.code == 0 && err != nil) || (tc.code != 0 && got != tc.code) {
				t.Errorf("err = %v, want code %d", err, tc.code)
			}
		})
	}
	if _, err := dg.ChannelMessageSend("nowhere", "x"); restCode(err) != 10003 {
		t.Errorf("unknown channel: %v", err)
	}
}

func TestDropGatewayReconnectsAndEventsStillArrive(t *testing.T) {
	t.Parallel()
	srv := discordtest.New(t, discordtest.Options{HeartbeatInterval: 200 * time.Millisecond})
	got := make(chan string, 4)
	open(t, srv, func(dg *discordgo.Session) {
		dg.AddHandler(func(_ *discordgo.Session, ic *discordgo.InteractionCreate) { got <- ic.ID })
	})
	srv.DropGateway()
	ctx := ctx5(t)
	// discordgo waits 1 s in Close before it reconnects, then resumes.
	if err := srv.WaitIdentifies(ctx, 2); err != nil {
		t.Fatal(err)
	}
	if srv.Resumes() != 1 {
		t.Errorf("resumes = %d, want 1", srv.Resumes())
	}
	i := discordtest.SlashCommand("help", nil, "1", "c1")
	if err := srv.DispatchInteraction(ctx, i); err != nil {
		t.Fatal(err)
	}
	select {
	case id := <-got:
		if id != i.ID {
			t.Errorf("got interaction %s, want %s", id, i.ID)
		}
	case <-ctx.Done():
		t.Fatal("no INTERACTION_CREATE after reconnect")
	}
}

func TestFailNextRateLimitIsRetried(t *testing.T) {
	t.Parallel()
	srv := discordtest.New(t, discordtest.Options{NoEcho: true})
	dg := open(t, srv, nil)
	srv.StoreMessage(discordtest.DirectMessage("hi", "5", "dm"))
	srv.FailNext(http.MethodPost, "/channels/dm/messages", http.StatusTooManyRequests, 300*time.Millisecond)
	start := time.Now()
	m, err := dg.ChannelMessageSend("dm", "answer")
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < 300*time.Millisecond {
		t.Errorf("retried after %v, before Retry-After", took)
	}
	var statuses []int
	for _, r := range srv.Requests() {
		if r.Path == "/channels/dm/messages" {
			statuses = append(statuses, r.Status)
		}
	}
	if len(statuses) != 2 || statuses[0] != http.StatusTooManyRequests || statuses[1] != http.StatusOK {
		t.Errorf("statuses = %v, want [429 200]", statuses)
	}
	if msgs := srv.Messages("dm"); len(msgs) != 1 || msgs[0].ID != m.ID {
		t.Errorf("stored %d messages", len(msgs))
	}
	srv.FailNext("", "/channels/", http.StatusInternalServerError, 0)
	if _, err := dg.ChannelMessageSend("dm", "again"); restCode(err) != 0 {
		t.Errorf("500: err %v", err)
	}
}

func TestCommandsAndUnknownRoutes(t *testing.T) {
	t.Parallel()
	srv := discordtest.New(t)
	dg := srv.Session(t, "tok")
	cmds := []*discordgo.ApplicationCommand{
		{Name: "ask", Description: "Ask a question", Options: []*discordgo.ApplicationCommandOption{
			{Name: "question", Description: "Your question", Type: discordgo.ApplicationCommandOptionString, Required: true},
			{Name: "private", Description: "Only you see it", Type: discordgo.ApplicationCommandOptionBoolean},
		}},
		{Name: "help", Description: "How to use talkbot"},
	}
	first, err := dg.ApplicationCommandBulkOverwrite(srv.AppID(), "g1", cmds)
	if err != nil {
		t.Fatal(err)
	}
	again, err := dg.ApplicationCommandBulkOverwrite(srv.AppID(), "g1", cmds)
	if err != nil {
		t.Fatal(err)
	}
	if len(first) != 2 || first[0].ID == "" || first[0].ID != again[0].ID || first[0].GuildID != "g1" {
		t.Errorf("overwrite returned %+v then %+v", first, again)
	}
	if got := srv.Commands("g1"); len(got) != 2 || got[1].Name != "help" {
		t.Errorf("Commands = %+v", got)
	}
	bad := []*discordgo.ApplicationCommand{{Name: "Ask", Description: "x"}}
	if _, err := dg.ApplicationCommandBulkOverwrite(srv.AppID(), "", bad); restCode(err) != 50035 {
		t.Errorf("upper-case name: %v", err)
	}
	if _, err := dg.Guild("123"); restCode(err) != 0 {
		t.Errorf("unknown route: %v", err)
	}
	if r, err := srv.WaitRequest(ctx5(t), func(r discordtest.Request) bool { return r.Path == "/guilds/123" }); err != nil || r.Status != http.StatusNotFound {
		t.Errorf("unknown route recorded as %+v, %v", r, err)
	}
	i := discordtest.SlashCommand("ask", map[string]any{"question": "q"}, "1", "c1")
	i.GuildID = "g1"
	short, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := srv.DispatchInteraction(short, i); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("dispatch with no client connected: %v, want deadline exceeded", err)
	}
}

func TestDMChannelAndTyping(t *testing.T) {
	t.Parallel()
	srv := discordtest.New(t, discordtest.Options{NoEcho: true})
	dg := open(t, srv, nil)
	if err := srv.DispatchMessage(ctx5(t), discordtest.DirectMessage("hi", "5", "dm5")); err != nil {
		t.Fatal(err)
	}
	ch, err := dg.UserChannelCreate("5")
	if err != nil || ch.ID != "dm5" || ch.Type != discordgo.ChannelTypeDM {
		t.Fatalf("DM channel with the user who wrote = %+v, %v; want dm5", ch, err)
	}
	other, err := dg.UserChannelCreate("6")
	if err != nil || other.ID == "dm5" || other.Recipients[0].ID != "6" {
		t.Fatalf("DM channel with a new user = %+v, %v", other, err)
	}
	if err := dg.ChannelTyping("dm5"); err != nil {
		t.Fatal(err)
	}
	if _, err := dg.ChannelMessageSend(other.ID, "hello"); err != nil {
		t.Fatal(err)
	}
	r, err := srv.WaitRequest(ctx5(t), func(r discordtest.Request) bool { return r.Path == "/channels/dm5/typing" })
	if err != nil || r.Method != http.MethodPost || r.Status != http.StatusNoContent {
		t.Errorf("typing request = %+v, %v", r, err)
	}
}

func TestFollowupWithFileAndEphemeral(t *testing.T) {
	t.Parallel()
	srv := discordtest.New(t)
	dg := open(t, srv, nil)
	i := discordtest.InDM(discordtest.SlashCommand("sources", nil, "8", "dm8"))
	if err := srv.DispatchInteraction(ctx5(t), i); err != nil {
		t.Fatal(err)
	}
	if err := dg.InteractionRespond(i, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredChannelMessageWithSource,
		Data: &discordgo.InteractionResponseData{Flags: discordgo.MessageFlagsEphemeral}}); err != nil {
		t.Fatal(err)
	}
	if o := srv.Original(i.ID); o == nil || o.Flags&discordgo.MessageFlagsEphemeral == 0 || o.Flags&discordgo.MessageFlagsLoading == 0 {
		t.Fatalf("deferred ephemeral original = %+v", o)
	}
	f, err := dg.FollowupMessageCreate(i, true, &discordgo.WebhookParams{Content: "page 2",
		Files: []*discordgo.File{{Name: "sources.txt", ContentType: "text/plain", Reader: strings.NewReader("a\nb\n")}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Attachments) != 1 || f.Attachments[0].Filename != "sources.txt" || f.Content != "page 2" {
		t.Errorf("followup = %+v", f)
	}
	r, err := srv.WaitRequest(ctx5(t), func(r discordtest.Request) bool {
		return r.Method == http.MethodPost && r.Path == "/webhooks/"+srv.AppID()+"/"+i.Token
	})
	if err != nil || r.Body["content"] != "page 2" || len(r.Files) != 1 || string(r.Files[0].Data) != "a\nb\n" {
		t.Errorf("followup request = %+v, %v", r, err)
	}
	// Like Discord, that first follow-up replaced the "thinking…" original;
	// the next one is a message of its own.
	if o := srv.Original(i.ID); o == nil || o.ID != f.ID || o.Flags&discordgo.MessageFlagsLoading != 0 {
		t.Errorf("the first follow-up did not replace the deferred original: original %+v, follow-up %s", o, f.ID)
	}
	f2, err := dg.FollowupMessageCreate(i, true, &discordgo.WebhookParams{Content: "page 3", Flags: discordgo.MessageFlagsEphemeral})
	if err != nil {
		t.Fatal(err)
	}
	if err := dg.InteractionResponseDelete(i); err != nil {
		t.Fatal(err)
	}
	if msgs := srv.Messages("dm8"); len(msgs) != 1 || msgs[0].ID != f2.ID || msgs[0].Flags&discordgo.MessageFlagsEphemeral == 0 {
		t.Errorf("after deleting the original, messages = %+v, want the second follow-up", msgs)
	}
}

// TestFirstFollowupReplacesPublicLoadingMessage: an ephemeral follow-up
// sent while a public deferred response still loads becomes that public
// message, as on Discord — the trap behind errors shown publicly.
func TestFirstFollowupReplacesPublicLoadingMessage(t *testing.T) {
	t.Parallel()
	srv := discordtest.New(t)
	dg := open(t, srv, nil)
	i := discordtest.SlashCommand("ask", map[string]any{"question": "q"}, "8", "c8")
	if err := srv.DispatchInteraction(ctx5(t), i); err != nil {
		t.Fatal(err)
	}
	if err := dg.InteractionRespond(i, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredChannelMessageWithSource}); err != nil {
		t.Fatal(err)
	}
	f, err := dg.FollowupMessageCreate(i, true, &discordgo.WebhookParams{Content: "secret error", Flags: discordgo.MessageFlagsEphemeral})
	if err != nil {
		t.Fatal(err)
	}
	msgs := srv.Messages("c8")
	if len(msgs) != 1 || msgs[0].ID != f.ID || msgs[0].Flags&discordgo.MessageFlagsEphemeral != 0 || msgs[0].Content != "secret error" {
		t.Errorf("messages = %+v; want the public original carrying the follow-up", msgs)
	}
}

func TestMissingHeartbeatAcksMakeTheClientReconnect(t *testing.T) {
	t.Parallel()
	srv := discordtest.New(t, discordtest.Options{HeartbeatInterval: 50 * time.Millisecond})
	open(t, srv, nil)
	srv.SetHeartbeatAck(false)
	// discordgo gives up after 5 intervals without an ACK, closes (1 s) and resumes.
	if err := srv.WaitIdentifies(ctx5(t), 2); err != nil {
		t.Fatal(err)
	}
	srv.SetHeartbeatAck(true)
	if srv.Resumes() < 1 {
		t.Errorf("resumes = %d", srv.Resumes())
	}
}
