-- Outbound queue policy (src/services/federation/outbound-queue.ts): what the queue needs to
-- collapse a destination's PDUs per room during catch-up, replace an EDU by a newer one of the
-- same key, and choose what to shed first under the per-destination cap, without parsing
-- every queued item's JSON.

-- PDUs: their room and depth (catch-up keeps stepping stones per room, chosen by depth).
ALTER TABLE federation_outbox ADD COLUMN room_id TEXT;
ALTER TABLE federation_outbox ADD COLUMN depth INTEGER;
-- EDUs: their type (which rules apply) and, for kinds where only the newest counts (typing per
-- room and user, presence per user, receipts per room, type, user and thread), the key a newer
-- EDU replaces an older one by.
ALTER TABLE federation_outbox ADD COLUMN edu_type TEXT;
ALTER TABLE federation_outbox ADD COLUMN coalesce_key TEXT;

-- Items queued by an earlier version: room, depth and type from their JSON (CASE, so a row that
-- is not JSON is left alone rather than failing the upgrade); no coalescing key, so they are
-- sent as they are.
UPDATE federation_outbox
   SET room_id = json_extract(json, '$.room_id'),
       depth = CASE WHEN json_type(json, '$.depth') = 'integer' THEN json_extract(json, '$.depth') END
 WHERE kind = 'pdu' AND CASE WHEN json_valid(json) THEN json_type(json, '$.room_id') = 'text' ELSE 0 END;
UPDATE federation_outbox
   SET edu_type = json_extract(json, '$.edu_type')
 WHERE kind = 'edu' AND CASE WHEN json_valid(json) THEN json_type(json, '$.edu_type') = 'text' ELSE 0 END;

CREATE INDEX federation_outbox_room ON federation_outbox(destination, room_id, id) WHERE room_id IS NOT NULL;
CREATE INDEX federation_outbox_coalesce ON federation_outbox(destination, coalesce_key) WHERE coalesce_key IS NOT NULL;
CREATE INDEX federation_outbox_edu_type ON federation_outbox(destination, edu_type, id) WHERE edu_type IS NOT NULL;
