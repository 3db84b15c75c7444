package discordtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"
)

// apiError is Discord's JSON error body.
type apiError struct {
	Message string         `json:"message"`
	Code    int            `json:"code"`
	Errors  map[string]any `json:"errors,omitempty"`
}

// reply is a handler's answer: status and a JSON body (nil for none).
type reply struct {
	status int
	body   any
	header http.Header
}

func ok(body any) reply { return reply{status: http.StatusOK, body: body} }

func noContent() reply { return reply{status: http.StatusNoContent} }

func fail(status, code int, msg string) reply {
	return reply{status: status, body: apiError{Message: msg, Code: code}}
}

// Discord's error answers for the cases the fake reproduces.
func errUnknownRoute() reply { return fail(http.StatusNotFound, 0, "Unknown route") }

func errUnknownMessage() reply { return fail(http.StatusNotFound, 10008, "Unknown Message") }

func errUnknownChannel() reply { return fail(http.StatusNotFound, 10003, "Unknown Channel") }

func errUnknownWebhook() reply { return fail(http.StatusNotFound, 10015, "Unknown Webhook") }

func errUnknownInteraction() reply { return fail(http.StatusNotFound, 10062, "Unknown interaction") }

func errAlreadyAcked() reply {
	return fail(http.StatusBadRequest, 40060, "Interaction has already been acknowledged.")
}

func errEmptyMessage() reply {
	return fail(http.StatusBadRequest, 50006, "Cannot send an empty message")
}

func errNotAuthor() reply {
	return fail(http.StatusForbidden, 50005, "Cannot edit a message authored by another user")
}

func errUnauthorized() reply { return fail(http.StatusUnauthorized, 0, "401: Unauthorized") }

func (s *Server) serveREST(w http.ResponseWriter, r *http.Request) {
	at := time.Now()
	raw, _ := io.ReadAll(io.LimitReader(r.Body, 32<<20))
	req := Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Header: r.Header.Clone(), Raw: raw, At: at}
	req.Header.Del("Authorization")
	versioned := false
	for _, v := range []string{"/api/v9", "/api/v10"} {
		if rest, found := strings.CutPrefix(r.URL.Path, v); found && (rest == "" || rest[0] == '/') {
			req.Path, versioned = rest, true
			break
		}
	}
	parseBody(&req, r.Header.Get("Content-Type"))

	var rep reply
	s.mu.Lock()
	if f, found := s.takeFaultLocked(req.Method, req.Path); found {
		rep = faultReply(f)
	} else if !versioned {
		rep = errUnknownRoute()
	} else if needsAuth(req.Path) && r.Header.Get("Authorization") == "" {
		rep = errUnauthorized()
	} else if vs := s.validator.Check(req.Method, req.Path, payloadOf(&req), len(req.Files)); len(vs) > 0 {
		s.violations = append(s.violations, vs...)
		if r, bad := rejection(vs); bad {
			rep = r
		} else {
			rep = s.routeLocked(&req)
		}
	} else {
		rep = s.routeLocked(&req)
	}
	req.Status = rep.status
	s.requests = append(s.requests, req)
	s.notifyLocked()
	s.mu.Unlock()

	for k, vs := range rep.header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	if rep.body == nil {
		w.WriteHeader(rep.status)
		return
	}
	b, err := json.Marshal(rep.body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(rep.status)
	_, _ = w.Write(b)
}

// needsAuth: interaction callbacks and webhook routes are authorized by their token.
func needsAuth(path string) bool {
	return !strings.HasPrefix(path, "/interactions/") && !strings.HasPrefix(path, "/webhooks/")
}

// parseBody fills Body, JSON and Files from a JSON or multipart body.
func parseBody(req *Request, contentType string) {
	if len(req.Raw) == 0 {
		return
	}
	mt, params, _ := mime.ParseMediaType(contentType)
	payload := req.Raw
	if strings.HasPrefix(mt, "multipart/") {
		payload = nil
		mr := multipart.NewReader(bytes.NewReader(req.Raw), params["boundary"])
		for {
			p, err := mr.NextPart()
			if err != nil {
				break
			}
			data, _ := io.ReadAll(p)
			if p.FormName() == "payload_json" {
				payload = data
				continue
			}
			req.Files = append(req.Files, File{Field: p.FormName(), Name: p.FileName(), ContentType: p.Header.Get("Content-Type"), Data: data})
		}
	}
	if payload == nil {
		return
	}
	var v any
	if err := json.Unmarshal(payload, &v); err != nil {
		return
	}
	req.JSON = v
	req.Body, _ = v.(map[string]any)
}

func faultReply(f fault) reply {
	if f.status == http.StatusTooManyRequests {
		secs := f.retryAfter.Seconds()
		h := http.Header{}
		h.Set("Retry-After", strconv.Itoa(int(math.Ceil(secs))))
		h.Set("X-RateLimit-Scope", "user")
		return reply{status: f.status, header: h, body: map[string]any{
			"message": "You are being rate limited.", "retry_after": secs, "global": false,
		}}
	}
	return fail(f.status, 0, fmt.Sprintf("%d: %s", f.status, http.StatusText(f.status)))
}

// segs splits a path; match checks it against a pattern where "*" is any one segment.
func segs(path string) []string { return strings.Split(strings.Trim(path, "/"), "/") }

func match(p []string, pattern ...string) bool {
	if len(p) != len(pattern) {
		return false
	}
	for i, x := range pattern {
		if x != "*" && x != p[i] {
			return false
		}
	}
	return true
}

// routeLocked answers one REST request; s.mu is held.
func (s *Server) routeLocked(req *Request) reply {
	p := segs(req.Path)
	m := req.Method
	switch {
	case m == http.MethodGet && match(p, "gateway"):
		return ok(map[string]any{"url": s.GatewayURL()})
	case m == http.MethodGet && match(p, "gateway", "bot"):
		return ok(map[string]any{"url": s.GatewayURL(), "shards": 1, "session_start_limit": map[string]any{
			"total": 1000, "remaining": 999, "reset_after": 14400000, "max_concurrency": 1}})
	case m == http.MethodGet && match(p, "users", "@me"):
		return ok(s.botUser())
	case m == http.MethodGet && (match(p, "applications", "@me") || match(p, "oauth2", "applications", "@me")):
		return ok(map[string]any{"id": s.opts.AppID, "name": "talkbot", "bot": s.botUser(), "flags": 0})
	case m == http.MethodPost && match(p, "users", "@me", "channels"):
		return s.createDMLocked(req)
	case match(p, "applications", "*", "commands"):
		return s.commandsLocked(req, p[1], "")
	case match(p, "applications", "*", "guilds", "*", "commands"):
		return s.commandsLocked(req, p[1], p[3])
	case m == http.MethodPost && match(p, "interactions", "*", "*", "callback"):
		return s.callbackLocked(req, p[1], p[2])
	case match(p, "webhooks", "*", "*"):
		if m != http.MethodPost {
			return errUnknownRoute()
		}
		return s.followupLocked(req, p[1], p[2])
	case match(p, "webhooks", "*", "*", "messages", "*"):
		return s.webhookMessageLocked(req, p[1], p[2], p[4])
	case m == http.MethodGet && match(p, "channels", "*"):
		ch, found := s.channels[p[1]]
		if !found {
			return errUnknownChannel()
		}
		return ok(ch)
	case match(p, "channels", "*", "messages"):
		return s.channelMessagesLocked(req, p[1])
	case m == http.MethodPost && match(p, "channels", "*", "messages", "*", "threads"):
		return s.startThreadLocked(req, p[1], p[3]) // threads.go
	case match(p, "channels", "*", "messages", "*"):
		return s.channelMessageLocked(req, p[1], p[3])
	case m == http.MethodPost && match(p, "channels", "*", "typing"):
		if _, found := s.channels[p[1]]; !found {
			return errUnknownChannel()
		}
		return noContent()
	case (m == http.MethodPut || m == http.MethodDelete) && match(p, "channels", "*", "messages", "*", "reactions", "*", "@me"):
		if _, found := s.messages[p[3]]; !found {
			return errUnknownMessage()
		}
		return noContent()
	}
	return errUnknownRoute()
}

func (s *Server) createDMLocked(req *Request) reply {
	rid, _ := req.Body["recipient_id"].(string)
	if rid == "" {
		return invalidForm("recipient_id", "BASE_TYPE_REQUIRED", "This field is required")
	}
	for _, ch := range s.channels {
		if ch.Type == discordgo.ChannelTypeDM && len(ch.Recipients) == 1 && ch.Recipients[0].ID == rid {
			return ok(ch)
		}
	}
	ch := &discordgo.Channel{ID: s.newIDLocked(), Type: discordgo.ChannelTypeDM, Recipients: []*discordgo.User{s.userByID(rid)}}
	s.channels[ch.ID] = ch
	return ok(ch)
}

func (s *Server) commandsLocked(req *Request, app, guild string) reply {
	if app != s.opts.AppID {
		return fail(http.StatusForbidden, 50001, "Missing Access")
	}
	switch req.Method {
	case http.MethodGet:
		out := s.commands[guild]
		if out == nil {
			out = []*discordgo.ApplicationCommand{}
		}
		return ok(out)
	case http.MethodPut:
	default:
		return errUnknownRoute()
	}
	var cmds []*discordgo.ApplicationCommand
	if err := json.Unmarshal(payloadOf(req), &cmds); err != nil {
		return invalidForm("_root", "MODEL_TYPE_CONVERT", "Expected an array of commands")
	}
	version := s.newIDLocked()
	for _, c := range cmds {
		key := guild + "/" + c.Name
		id, found := s.commandIDs[key]
		if !found {
			id = s.newIDLocked()
			s.commandIDs[key] = id
		}
		c.ID, c.ApplicationID, c.GuildID, c.Version = id, s.opts.AppID, guild, version
		if c.Type == 0 {
			c.Type = discordgo.ChatApplicationCommand
		}
		if c.Options == nil {
			c.Options = []*discordgo.ApplicationCommandOption{}
		}
	}
	s.commands[guild] = cmds
	return ok(cmds)
}

// payloadOf is the JSON payload (payload_json for multipart) of a request.
func payloadOf(req *Request) []byte {
	if req.JSON == nil {
		return nil
	}
	b, _ := json.Marshal(req.JSON)
	return b
}

// interactionLocked finds the interaction an interaction/webhook token names.
func (s *Server) interactionLocked(token string) *interactionRec {
	return s.interactions[token]
}

func (s *Server) callbackLocked(req *Request, id, token string) reply {
	rec := s.interactionLocked(token)
	if rec == nil || rec.i.ID != id {
		s.violateLocked(req, "interaction.unknown", "", "no interaction has this id and token")
		return errUnknownInteraction()
	}
	if rec.acked {
		s.violateLocked(req, "interaction.already_acknowledged", "", "an interaction gets one initial response; use follow-ups or edit the original")
		return errAlreadyAcked()
	}
	if late := time.Since(rec.dispatched); s.opts.InteractionTimeout > 0 && late > s.opts.InteractionTimeout {
		s.violateLocked(req, "interaction.timeout", "", fmt.Sprintf("the initial response came %s after the interaction; Discord allows 3 s", late.Round(time.Millisecond)))
		return errUnknownInteraction()
	}
	var resp struct {
		Type discordgo.InteractionResponseType `json:"type"`
		Data json.RawMessage                   `json:"data"`
	}
	if err := json.Unmarshal(payloadOf(req), &resp); err != nil {
		return invalidForm("type", "BASE_TYPE_REQUIRED", "This field is required")
	}
	data, _ := req.Body["data"].(map[string]any)
	it := rec.i.Type
	isComponent := it == discordgo.InteractionMessageComponent || it == discordgo.InteractionModalSubmit
	switch resp.Type {
	case discordgo.InteractionResponsePong:
		if it != discordgo.InteractionPing {
			return s.badResponseTypeLocked(req, resp.Type, it)
		}
	case discordgo.InteractionResponseChannelMessageWithSource, discordgo.InteractionResponseDeferredChannelMessageWithSource:
		if it == discordgo.InteractionPing || it == discordgo.InteractionApplicationCommandAutocomplete {
			return s.badResponseTypeLocked(req, resp.Type, it)
		}
		deferred := resp.Type == discordgo.InteractionResponseDeferredChannelMessageWithSource
		msg, rep, bad := s.messageFromBodyLocked(data, req.Files, rec.i.ChannelID)
		if bad {
			return rep
		}
		msg.Flags &= discordgo.MessageFlagsEphemeral | discordgo.MessageFlagsSuppressEmbeds
		if deferred {
			msg.Content, msg.Embeds, msg.Components = "", nil, nil
			msg.Flags |= discordgo.MessageFlagsLoading
		}
		msg.WebhookID = s.opts.AppID
		msg.Type = discordgo.MessageTypeChatInputCommand
		if it != discordgo.InteractionApplicationCommand {
			msg.Type = discordgo.MessageTypeDefault
		}
		msg.InteractionMetadata = &discordgo.MessageInteractionMetadata{ID: rec.i.ID, Type: it, User: interactionUser(rec.i)}
		s.storeLocked(msg)
		rec.originalID = msg.ID
		s.echoLocked("MESSAGE_CREATE", msg)
	case discordgo.InteractionResponseDeferredMessageUpdate, discordgo.InteractionResponseUpdateMessage:
		if !isComponent || rec.i.Message == nil {
			return s.badResponseTypeLocked(req, resp.Type, it)
		}
		target, found := s.messages[rec.i.Message.ID]
		if !found {
			return errUnknownMessage()
		}
		rec.originalID = target.ID
		if resp.Type == discordgo.InteractionResponseUpdateMessage {
			edited, rep, bad := s.applyEditLocked(target, data)
			if bad {
				return rep
			}
			s.messages[target.ID] = edited
			s.echoLocked("MESSAGE_UPDATE", edited)
		}
	case discordgo.InteractionApplicationCommandAutocompleteResult:
		if it != discordgo.InteractionApplicationCommandAutocomplete {
			return s.badResponseTypeLocked(req, resp.Type, it)
		}
	case discordgo.InteractionResponseModal:
		if it == discordgo.InteractionModalSubmit || it == discordgo.InteractionApplicationCommandAutocomplete || it == discordgo.InteractionPing {
			return s.badResponseTypeLocked(req, resp.Type, it)
		}
		if cid, _ := data["custom_id"].(string); cid == "" {
			return invalidForm("data.custom_id", "BASE_TYPE_REQUIRED", "This field is required")
		}
	default:
		return invalidForm("type", "BASE_TYPE_CHOICES", fmt.Sprintf("Value must be one of {1, 4, 5, 6, 7, 8, 9}, not %d.", resp.Type))
	}
	rec.acked = true
	rec.ackType = resp.Type
	return noContent()
}

func (s *Server) badResponseTypeLocked(req *Request, rt discordgo.InteractionResponseType, it discordgo.InteractionType) reply {
	s.violateLocked(req, "interaction.response_type", "type", fmt.Sprintf("response type %d is not valid for interaction type %d", rt, it))
	return invalidForm("type", "INTERACTION_RESPONSE_TYPE_INVALID", "This response type is not valid for this interaction")
}

func interactionUser(i *discordgo.Interaction) *discordgo.User {
	if i.Member != nil && i.Member.User != nil {
		return i.Member.User
	}
	return i.User
}

// webhookLocked resolves an interaction webhook; the app id must match.
func (s *Server) webhookLocked(app, token string) (*interactionRec, bool) {
	rec := s.interactionLocked(token)
	if app != s.opts.AppID || rec == nil || !rec.acked {
		return nil, false
	}
	return rec, true
}

func (s *Server) followupLocked(req *Request, app, token string) reply {
	rec, found := s.webhookLocked(app, token)
	if !found {
		s.violateLocked(req, "interaction.not_acknowledged", "", "follow-ups and edits need an acknowledged interaction (a valid token and an initial response)")
		return errUnknownWebhook()
	}
	data := req.Body
	msg, rep, bad := s.messageFromBodyLocked(data, req.Files, rec.i.ChannelID)
	if bad {
		return rep
	}
	if cur, found := s.messages[rec.originalID]; found && cur.Flags&discordgo.MessageFlagsLoading != 0 {
		// As on Discord, the first follow-up to a deferred response that is
		// still "thinking…" replaces that message and keeps its visibility:
		// an ephemeral flag on the follow-up does not make a public deferred
		// response private.
		msg.ID, msg.Type, msg.Timestamp = cur.ID, cur.Type, cur.Timestamp
		msg.Flags = cur.Flags &^ discordgo.MessageFlagsLoading
		msg.WebhookID, msg.InteractionMetadata = cur.WebhookID, cur.InteractionMetadata
		now := time.Now().UTC()
		msg.EditedTimestamp = &now
		s.storeLocked(msg)
		s.echoLocked("MESSAGE_UPDATE", msg)
		return ok(toWire(msg))
	}
	msg.Flags &= discordgo.MessageFlagsEphemeral | discordgo.MessageFlagsSuppressEmbeds
	msg.WebhookID = s.opts.AppID
	msg.InteractionMetadata = &discordgo.MessageInteractionMetadata{ID: rec.i.ID, Type: rec.i.Type, User: interactionUser(rec.i), OriginalResponseMessageID: rec.originalID}
	s.storeLocked(msg)
	rec.followups[msg.ID] = true
	s.echoLocked("MESSAGE_CREATE", msg)
	return ok(toWire(msg))
}

func (s *Server) webhookMessageLocked(req *Request, app, token, mid string) reply {
	rec, found := s.webhookLocked(app, token)
	if !found {
		s.violateLocked(req, "interaction.not_acknowledged", "", "follow-ups and edits need an acknowledged interaction (a valid token and an initial response)")
		return errUnknownWebhook()
	}
	if mid == "@original" {
		mid = rec.originalID
	} else if !rec.followups[mid] && mid != rec.originalID {
		return errUnknownMessage()
	}
	cur, found := s.messages[mid]
	if mid == "" || !found {
		return errUnknownMessage()
	}
	switch req.Method {
	case http.MethodGet:
		return ok(toWire(cur))
	case http.MethodDelete:
		s.deleteLocked(cur)
		if mid == rec.originalID {
			rec.originalID = ""
		}
		delete(rec.followups, mid)
		return noContent()
	case http.MethodPatch:
		edited, rep, bad := s.applyEditLocked(cur, req.Body)
		if bad {
			return rep
		}
		wasLoading := cur.Flags&discordgo.MessageFlagsLoading != 0
		edited.Flags &^= discordgo.MessageFlagsLoading
		if wasLoading && messageEmpty(edited) {
			return errEmptyMessage()
		}
		s.messages[mid] = edited
		s.echoLocked("MESSAGE_UPDATE", edited)
		return ok(toWire(edited))
	}
	return errUnknownRoute()
}

func messageEmpty(m *discordgo.Message) bool {
	return strings.TrimSpace(m.Content) == "" && len(m.Embeds) == 0 && len(m.Components) == 0 && len(m.Attachments) == 0 && m.Poll == nil
}

func (s *Server) deleteLocked(m *discordgo.Message) {
	delete(s.messages, m.ID)
	ids := s.order[m.ChannelID]
	for i, id := range ids {
		if id == m.ID {
			s.order[m.ChannelID] = append(ids[:i:i], ids[i+1:]...)
			break
		}
	}
	s.dispatchAsyncLocked("MESSAGE_DELETE", map[string]any{"id": m.ID, "channel_id": m.ChannelID, "guild_id": m.GuildID})
}

func (s *Server) channelMessagesLocked(req *Request, cid string) reply {
	if _, found := s.channels[cid]; !found {
		return errUnknownChannel()
	}
	switch req.Method {
	case http.MethodGet:
		limit := 50
		if n, err := strconv.Atoi(req.Query.Get("limit")); err == nil && n >= 1 && n <= 100 {
			limit = n
		}
		ids := s.order[cid]
		out := []*wireMsg{}
		for i := len(ids) - 1; i >= 0 && len(out) < limit; i-- { // newest first, as Discord
			out = append(out, toWire(s.visibleLocked(s.messages[ids[i]])))
		}
		return ok(out)
	case http.MethodPost:
		msg, rep, bad := s.messageFromBodyLocked(req.Body, req.Files, cid)
		if bad {
			return rep
		}
		msg.Flags &= discordgo.MessageFlagsSuppressEmbeds | discordgo.MessageFlagsSuppressNotifications
		s.storeLocked(msg)
		s.echoLocked("MESSAGE_CREATE", msg)
		return ok(toWire(msg))
	}
	return errUnknownRoute()
}

func (s *Server) channelMessageLocked(req *Request, cid, mid string) reply {
	cur, found := s.messages[mid]
	if !found || cur.ChannelID != cid {
		return errUnknownMessage()
	}
	switch req.Method {
	case http.MethodGet:
		return ok(toWire(s.visibleLocked(cur)))
	case http.MethodDelete:
		s.deleteLocked(cur)
		return noContent()
	case http.MethodPatch:
		if cur.Author == nil || cur.Author.ID != s.opts.BotUserID {
			return errNotAuthor()
		}
		edited, rep, bad := s.applyEditLocked(cur, req.Body)
		if bad {
			return rep
		}
		s.messages[mid] = edited
		s.echoLocked("MESSAGE_UPDATE", edited)
		return ok(toWire(edited))
	}
	return errUnknownRoute()
}

// messageFromBodyLocked builds the bot's new message in channel cid from a
// create body, resolving the reply target and mentions as Discord does.
func (s *Server) messageFromBodyLocked(body map[string]any, files []File, cid string) (*discordgo.Message, reply, bool) {
	ch, found := s.channels[cid]
	if !found {
		return nil, errUnknownChannel(), true
	}
	var m discordgo.Message
	b, _ := json.Marshal(pick(body, "content", "embeds", "components", "flags", "tts", "message_reference", "poll"))
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, invalidForm("_root", "MODEL_TYPE_CONVERT", err.Error()), true
	}
	m.ID = s.newIDLocked()
	m.ChannelID, m.GuildID = cid, ch.GuildID
	m.Author = s.botUser()
	m.Timestamp = time.Now().UTC()
	if m.Embeds == nil {
		m.Embeds = []*discordgo.MessageEmbed{}
	}
	for _, e := range m.Embeds {
		if e.Type == "" {
			e.Type = discordgo.EmbedTypeRich
		}
	}
	for _, f := range files {
		m.Attachments = append(m.Attachments, &discordgo.MessageAttachment{
			ID: s.newIDLocked(), Filename: f.Name, Size: len(f.Data), ContentType: f.ContentType,
			URL: s.base + "/attachments/" + cid + "/" + f.Name})
	}
	if m.MessageReference != nil {
		ref, found := s.messages[m.MessageReference.MessageID]
		if !found || ref.ChannelID != cid {
			if m.MessageReference.FailIfNotExists == nil || *m.MessageReference.FailIfNotExists {
				return nil, invalidForm("message_reference", "MESSAGE_REFERENCE_UNKNOWN_MESSAGE", "Unknown message"), true
			}
			m.MessageReference = nil
		} else {
			m.ReferencedMessage = cloneMsg(ref)
			m.ReferencedMessage.ReferencedMessage = nil
			m.Type = discordgo.MessageTypeReply
		}
	}
	am, _ := body["allowed_mentions"].(map[string]any)
	s.resolveMentionsLocked(&m, am)
	return &m, reply{}, false
}

// resolveMentionsLocked sets who a bot message pings, filtered by
// allowed_mentions as Discord does; absent allowed_mentions allows all.
func (s *Server) resolveMentionsLocked(m *discordgo.Message, am map[string]any) {
	allowedParse := map[string]bool{"users": true, "roles": true, "everyone": true}
	allowedUsers, allowedRoles := map[string]bool{}, map[string]bool{}
	repliedUser := true
	if am != nil {
		allowedParse = map[string]bool{}
		if ps, isList := am["parse"].([]any); isList {
			for _, p := range ps {
				if ps, isStr := p.(string); isStr {
					allowedParse[ps] = true
				}
			}
		}
		for _, u := range asStrings(am["users"]) {
			allowedUsers[u] = true
		}
		for _, r := range asStrings(am["roles"]) {
			allowedRoles[r] = true
		}
		repliedUser, _ = am["replied_user"].(bool)
	}
	m.Mentions = []*discordgo.User{}
	for _, id := range mentionIDs(m.Content) {
		if allowedParse["users"] || allowedUsers[id] {
			m.Mentions = append(m.Mentions, s.userByID(id))
		}
	}
	m.MentionRoles = []string{}
	for _, r := range roleMentionRe.FindAllStringSubmatch(m.Content, -1) {
		if allowedParse["roles"] || allowedRoles[r[1]] {
			m.MentionRoles = append(m.MentionRoles, r[1])
		}
	}
	m.MentionEveryone = allowedParse["everyone"] && everyoneRe.MatchString(m.Content)
	if ref := m.ReferencedMessage; ref != nil && repliedUser && ref.Author != nil && !hasUser(m.Mentions, ref.Author.ID) {
		m.Mentions = append(m.Mentions, ref.Author)
	}
}

func asStrings(v any) []string {
	list, _ := v.([]any)
	var out []string
	for _, x := range list {
		if s, isStr := x.(string); isStr {
			out = append(out, s)
		}
	}
	return out
}

func pick(body map[string]any, keys ...string) map[string]any {
	out := map[string]any{}
	for _, k := range keys {
		if v, found := body[k]; found {
			out[k] = v
		}
	}
	return out
}

// applyEditLocked returns cur with the fields present in an edit body replaced.
func (s *Server) applyEditLocked(cur *discordgo.Message, body map[string]any) (*discordgo.Message, reply, bool) {
	b, _ := json.Marshal(toWire(cur))
	var merged map[string]any
	_ = json.Unmarshal(b, &merged)
	for k, v := range pick(body, "content", "embeds", "components", "flags", "attachments", "poll") {
		if k == "flags" {
			// Only SUPPRESS_EMBEDS can change on edit; ephemeral stays as it was.
			f, _ := v.(float64)
			old := cur.Flags &^ discordgo.MessageFlagsSuppressEmbeds
			v = int(old | discordgo.MessageFlags(f)&discordgo.MessageFlagsSuppressEmbeds)
		}
		merged[k] = v
	}
	nb, _ := json.Marshal(merged)
	var out discordgo.Message
	if err := json.Unmarshal(nb, &out); err != nil {
		return nil, invalidForm("_root", "MODEL_TYPE_CONVERT", err.Error()), true
	}
	for _, e := range out.Embeds {
		if e.Type == "" {
			e.Type = discordgo.EmbedTypeRich
		}
	}
	now := time.Now().UTC()
	out.EditedTimestamp = &now
	if _, changed := body["content"]; changed || body["allowed_mentions"] != nil {
		am, _ := body["allowed_mentions"].(map[string]any)
		s.resolveMentionsLocked(&out, am)
	}
	return &out, reply{}, false
}
