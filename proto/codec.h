/*
 * codec: the only module that sees protoc-c generated code (permit.pb-c.h).
 *
 * It turns our model structs (common/model.h) into wire frames and back. Decoding treats the
 * frame as hostile: it checks sizes, repeated counts, enum names and UTF-8 and refuses with a
 * one-line reason instead of building something half-valid. The envelope's protocol version is
 * reported in msg->version, not checked here: the receiver decides what to answer.
 */
#ifndef PERMIT_CODEC_H
#define PERMIT_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "model.h"

/* Frames larger than this are refused before decoding. */
#define CODEC_MAX_FRAME (32u * 1024 * 1024)
/* Repeated fields with more elements than this are refused. */
#define CODEC_MAX_REPEATED 200000u
/* Longest strings, in bytes: ids (event, import, project; actor), codes (department,
 * procedure, kind), certificate numbers, free text (note, missing item), anything else. */
#define CODEC_MAX_ID 128u
#define CODEC_MAX_CODE 64u
#define CODEC_MAX_CERT 256u
#define CODEC_MAX_NOTE 4096u
#define CODEC_MAX_STRING (64u * 1024)
/* Envelope.time_zone, the broker's zone, has zone.h's ZONE_NAME_MAX. */

/*
 * The longest a string field may be, in bytes, by its name in permit.proto ("event_id",
 * "note", "cert", ...; one of the limits above): decoding refuses a longer one as malformed.
 * A sender checks what it takes in against it (permit-agent: evspec.c), so an event it
 * accepted is never refused for its size.
 */
size_t codec_field_limit(const char *name);

/*
 * Encode an envelope. msg->version 0 is sent as PM_PROTOCOL_VERSION. On success *out is a
 * malloc'ed buffer the caller owns (free()). Returns 0, or -1 if msg is not encodable (a body
 * missing for its type: our bug, logged).
 */
int codec_encode(const pm_msg_t *msg, uint8_t **out, size_t *outlen);

/*
 * Decode an envelope. On success *out is a message the caller owns (pm_msg_destroy) and 0 is
 * returned; on failure -1 with a reason such as "truncated frame" or "event: unknown kind
 * 'approve'" in why.
 */
int codec_decode(const void *buf, size_t len, pm_msg_t **out, char *why, size_t whylen);

/*
 * Read the envelope's version field (field 1) of a frame that may not decode, so a peer
 * speaking a newer protocol gets a "version" refusal rather than "malformed". 0 and *version
 * if the field is there and, when it names another version than PM_PROTOCOL_VERSION, the frame
 * is a well-formed envelope (it unpacks, canonical, every string and count within its limits;
 * only its body may be one this codec does not know); -1 otherwise, so garbage that happens to
 * start like an envelope is "malformed". A frame with our own version is not checked here: the
 * decode that follows does.
 */
int codec_peek_version(const void *buf, size_t len, uint32_t *version);

/*
 * Read only the id of an event or import (Envelope.event.event_id, Envelope.import.id) of a
 * frame that may not decode, so a refusal of it can still carry the id and the sender knows
 * which of its messages was refused. The id must be valid UTF-8 without NUL and fit in
 * CODEC_MAX_ID bytes. 0 with the id in id (idlen must be more than CODEC_MAX_ID), -1 when
 * it cannot be read.
 */
int codec_peek_id(const void *buf, size_t len, char *id, size_t idlen);

/* The same for a single log entry, as stored in the log's body column. */
int codec_encode_entry(const pm_entry_t *entry, uint8_t **out, size_t *outlen);
int codec_decode_entry(const void *buf, size_t len, pm_entry_t **out, char *why, size_t whylen);

#endif
