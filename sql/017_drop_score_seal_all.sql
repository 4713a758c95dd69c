-- 017: score_seal_all() (012) is no longer called. It sealed every call in one transaction and so
-- kept each sealed call's chain locked until the last one was done, which let one held chain stall
-- every call; the server's sealer now runs score_seal() per call, one transaction each.
DROP FUNCTION score_seal_all();
