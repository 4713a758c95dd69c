-- A published call with n ranked proposals and its decision, inserted directly (no panel work), for
-- tests/api/test_documents.c and bench/documents.sh. Parameters: $1 ward id, $2 account id (decided
-- and published by), $3 number of proposals, $4 title. Returns the campaign id. Awards: the first
-- is "Giải Nhất", the 2nd and 3rd "Giải Nhì", the 5th "Khuyến khích" (with a reason: the 4th was
-- passed over); the 3rd is tied with the next, so the tie warning is set.
WITH c AS (
	INSERT INTO campaigns (ward_id, title, opens_at, closes_at, state, config_digest)
	VALUES ($1, $4, now() - interval '30 days', now() - interval '10 days', 'published', repeat('a', 64))
	RETURNING id, ward_id, title
), d AS (
	INSERT INTO decisions (campaign_id, ward_id, version, method, inputs_digest, snapshot, decided_by, decided_at,
			       published_by, published_at)
	SELECT c.id, c.ward_id, 1, 'normalised', repeat('c', 64), jsonb_build_object(
		'campaign_title', c.title, 'method', 'normalised', 'config_digest', repeat('a', 64),
		'score_record_head', repeat('b', 64), 'inputs_digest', repeat('c', 64),
		'ranking', (SELECT jsonb_agg(jsonb_build_object(
			'rank', i, 'rank_other_method', i, 'proposal_id', i,
			'tracking_code', 'DT-2026-' || lpad(i::text, 4, '0'),
			'title', 'Mô hình số ' || i || ': bản đồ số tổ dân phố',
			'group_name', 'Tổ dân phố ' || (1 + i % 7),
			'reviews', 5, 'score', round(95 - i * 0.173, 3), 'raw', round(90 - i * 0.151, 3),
			'normalised', round(1.5 - i * 0.0071, 3),
			'interval', jsonb_build_object('low', round(93 - i * 0.173, 3), 'high', round(97 - i * 0.173, 3)),
			'min_review', 80, 'max_review', 99, 'tied_with_next', i = 3,
			'criteria', jsonb_build_array(
				jsonb_build_object('criterion_id', 1, 'name', 'Tính mới', 'raw', round(9 - i * 0.011, 3),
						   'normalised', round(0.8 - i * 0.003, 3)),
				jsonb_build_object('criterion_id', 2, 'name', 'Khả thi', 'raw', round(4.5 - i * 0.005, 3),
						   'normalised', round(0.6 - i * 0.002, 3)),
				jsonb_build_object('criterion_id', 3, 'name', 'Lan tỏa', 'raw', round(18 - i * 0.021, 3),
						   'normalised', round(0.4 - i * 0.001, 3))),
			'above_next_because', '[]'::jsonb,
			'default_award', CASE i WHEN 1 THEN 'Giải Nhất' WHEN 2 THEN 'Giải Nhì' WHEN 3 THEN 'Giải Nhì'
					  WHEN 4 THEN 'Khuyến khích' END,
			'award', CASE i WHEN 1 THEN 'Giải Nhất' WHEN 2 THEN 'Giải Nhì' WHEN 3 THEN 'Giải Nhì'
				  WHEN 5 THEN 'Khuyến khích' END,
			'reason', CASE i WHEN 5 THEN 'Mô hình hạng 4 trùng với mô hình đã được phường triển khai.' END)
			ORDER BY i) FROM generate_series(1, $3::int) i),
		'agreement', jsonb_build_object('criteria', '[]'::jsonb, 'review_score', 0.61),
		'awards', '[{"name": "Giải Nhất", "count": 1}, {"name": "Giải Nhì", "count": 2}, {"name": "Khuyến khích", "count": 1}]'::jsonb,
		'tie_warning', true, 'reviews', 5 * $3::int, 'panelists', 5, 'correction_reason', NULL),
		$2, now() - interval '1 day', $2, now() - interval '1 day'
	FROM c
	RETURNING campaign_id
)
SELECT campaign_id FROM d
