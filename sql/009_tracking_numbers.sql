-- Tracking codes past number 9,999: lpad() truncates, so 10000 became "1000" (a duplicate, then a 500).
-- Numbers keep at least four digits and grow as needed: HC-2026-0042, HC-2026-10000.

CREATE OR REPLACE FUNCTION next_tracking_code(ward bigint, now timestamptz) RETURNS text LANGUAGE sql AS $$
	SELECT w.code || '-' || to_char(now AT TIME ZONE 'Asia/Ho_Chi_Minh', 'YYYY') || '-'
		|| lpad(n::text, greatest(4, length(n::text)), '0')
	FROM wards w, (SELECT nextval('tracking_seq') AS n) s WHERE w.id = ward
$$;
