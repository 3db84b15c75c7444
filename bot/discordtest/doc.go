// Package discordtest is a fake Discord for tests: a gateway websocket and the
// REST routes a bot uses, on 127.0.0.1, so the real discordgo client can be
// tested end to end without the network.
//
// Start one per test with [New]; point a discordgo session at it with
// [Server.Session] (or give your own session a transport that rewrites
// https://discord.com/api/v9/ onto [Server.APIURL]). Open the session, wait
// with [Server.WaitIdentified], then inject events with
// [Server.DispatchInteraction] / [Server.DispatchMessage] and check what the
// client did with [Server.WaitRequest], [Server.Requests] and
// [Server.Messages].
//
// # What the fake does like Discord
//
//   - Gateway: HELLO (op 10), IDENTIFY (op 2) → READY, RESUME (op 6) →
//     RESUMED (a wrong session id gets INVALID_SESSION, op 9), heartbeats
//     (op 1) → HEARTBEAT_ACK (op 11). Frames are plain-text JSON; discordgo
//     only inflates binary frames, so compression is not needed.
//   - discordgo v0.29.0 calls GET gateway (not gateway/bot) in Open and
//     appends "/?v=9&encoding=json" to the url it gets; both routes are served,
//     and the websocket is served on /gateway and /gateway/.
//   - Interactions must be answered (callback) within [Options.InteractionTimeout]
//     (3 s by default, as on Discord), else the callback gets 404 Unknown
//     interaction (10062); a second callback gets 400 (40060). Editing or
//     following up an interaction that was never acknowledged gets 404.
//     The first follow-up to a deferred response still "thinking…" replaces
//     that message and keeps its visibility, as on Discord.
//   - Messages are checked against Discord's limits (2000 content, 10 embeds,
//     4096 description, 256 title, 25 fields, 256/1024 field name/value,
//     2048 footer, 6000 per message across embeds, 5 action rows of 5
//     components, custom_id 100, label 80, 25 autocomplete choices) and an
//     empty message is refused; violations get 400 Invalid Form Body (50035)
//     or Cannot send an empty message (50006). Application commands are
//     checked too (name ^[-_a-z0-9]{1,32}$, description 1–100, 25 options,
//     required options first, 25 choices).
//   - Message content intent: if the client's IDENTIFY did not ask for
//     MESSAGE_CONTENT, guild messages that neither mention the bot nor are
//     the bot's own arrive (gateway and REST) with empty content, embeds,
//     attachments and components; DMs keep theirs. Guild messages need the
//     GUILD_MESSAGES intent and DMs DIRECT_MESSAGES; otherwise
//     [Server.DispatchMessage] returns an error wrapping [ErrNotDelivered].
//   - The bot's own non-ephemeral messages (channel messages, interaction
//     responses, follow-ups) are echoed back as MESSAGE_CREATE, as Discord
//     does, so a bot that answers itself loops in tests too. Turn off with
//     [Options.NoEcho].
//   - If [Server.DispatchMessage] gets a message with nil Mentions, mentions
//     are parsed from "<@id>" / "<@!id>" in its content, and a reply to the
//     bot's message mentions the bot (Discord's default reply ping); pass an
//     empty non-nil slice to send no mentions.
//   - REST routes other than interaction callbacks and webhooks need an
//     Authorization header (401 otherwise). Unknown routes get 404
//     {"message":"Unknown route","code":0} and are recorded.
//
// # API beyond the brief
//
// [Options] also has GuildID, InteractionTimeout and NoEcho.
// [Request] also has Query, Header, JSON (the decoded body of any shape, e.g.
// the array of a bulk command overwrite), Files (multipart attachments) and
// Status (what the fake answered). More methods: [Server.BaseURL],
// [Server.GatewayURL], [Server.Token], [Server.Intents], [Server.Resumes],
// [Server.WaitIdentifies], [Server.Dispatch] (any event),
// [Server.Message], [Server.ChannelMessages] (everything in a channel),
// [Server.Commands], [Server.Original] (an interaction's original response),
// [Server.SetHeartbeatAck]; helpers [GuildMessage], [DirectMessage],
// [Reply] and [InDM]; constant [DefaultGuildID].
package discordtest
