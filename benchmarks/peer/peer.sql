-- What PostGraphile needs beyond the project's own tables, for benchmarks/side_by_side.sh.
-- Run by that script on the benchmark database (imm_bench, imm_bench_tiny) at every start;
-- never part of the project's migrations. Idempotent.

-- Session.attendance { total } in imm_graph is this sum; PostGraphile's way to offer a derived
-- value is a "computed column": a function taking the row. PostGraphile only picks those up from
-- the table's own schema, so this one function lives in public (of the benchmark database only).
CREATE OR REPLACE FUNCTION public.sessions_attendance_total(s public.sessions)
RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT s.children_young_people + s.older_people + s.staff + s.volunteers + s.families
$$;
COMMENT ON FUNCTION public.sessions_attendance_total(public.sessions) IS
  'Benchmark only (benchmarks/peer/peer.sql): imm_graph''s Session.attendance.total for PostGraphile.';

-- W4: imm_graph's impact(filter: {programme, dateFrom, dateTo}) { peopleEngaged
-- sessionsDelivered attendance { total } }, with the same rules as imm_graph/schema/impact.py:
-- sessions of the programme's hubs and projects within the dates; distinct participants with an
-- enrolment in those hubs and projects that overlaps the dates. PostGraphile exposes it as the
-- root field impact(programme:, dateFrom:, dateTo:) { peopleEngaged sessionsDelivered
-- attendanceTotal }. Nothing is dropped here, so a server already running on this database keeps
-- working; to change the function's arguments or results, DROP SCHEMA bench_peer CASCADE first.
CREATE SCHEMA IF NOT EXISTS bench_peer;
COMMENT ON SCHEMA bench_peer IS 'Benchmark only (benchmarks/peer/peer.sql): what PostGraphile serves besides public.';

CREATE OR REPLACE FUNCTION bench_peer.impact(
  programme integer, date_from date, date_to date,
  OUT people_engaged integer, OUT sessions_delivered integer, OUT attendance_total integer
) LANGUAGE sql STABLE PARALLEL SAFE AS $$
  WITH hub AS (SELECT h.id FROM public.hubs h WHERE h.programme_id = $1),
       project AS (SELECT p.id FROM public.projects p WHERE p.programme_id = $1)
  SELECT
    (SELECT count(DISTINCT e.participant_id)::integer
       FROM public.enrolments e
      WHERE (e.hub_id IN (SELECT id FROM hub) OR e.project_id IN (SELECT id FROM project))
        AND e.enrolled_on <= $3
        AND (e.left_on IS NULL OR e.left_on >= $2)),
    count(*)::integer,
    coalesce(sum(s.children_young_people + s.older_people + s.staff + s.volunteers
                 + s.families), 0)::integer
  FROM public.sessions s
  WHERE (s.hub_id IN (SELECT id FROM hub) OR s.project_id IN (SELECT id FROM project))
    AND s.session_date >= $2 AND s.session_date <= $3
$$;
COMMENT ON FUNCTION bench_peer.impact(integer, date, date) IS
  'Benchmark only: imm_graph''s impact figures for one programme between two dates.';
