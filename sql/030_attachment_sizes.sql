-- Issue 11: derived sizes of uploaded photos, so that a list or a phone page does not download the
-- full photo. Made at upload from the stored (re-encoded) photo by src/media/photo.c, as WebP with
-- a long side of 320 or 1,024 px (never enlarged); served by GET /attachments/{id}?size=320|1024.
-- A photo without a row here (a PDF; a photo stored before this migration; a derived size whose
-- making failed) is served full size instead.
CREATE TABLE attachment_sizes (
	attachment_id bigint NOT NULL REFERENCES attachments (id) ON DELETE CASCADE,
	long_side integer NOT NULL CHECK (long_side IN (320, 1024)),
	mime text NOT NULL CHECK (mime = 'image/webp'),
	size integer NOT NULL CHECK (size BETWEEN 1 AND 10485760),
	sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
	content bytea NOT NULL,
	CHECK (octet_length(content) = size),
	PRIMARY KEY (attachment_id, long_side)
);
COMMENT ON TABLE attachment_sizes IS 'Smaller copies of a photo attachment (WebP, long side 320 or 1024 px), made at upload from the stored photo; removed with it. Served with the same access rules as the attachment.';
