-- yoy_change: each cell of arrest_rate_proxy next to the same month a year earlier.
-- A cell that fell to zero still appears (with 0 incidents), and a year-earlier month inside
-- the data's range with no incidents counts as 0; before the data begins it is NULL (unknown).
-- incidents_change_pct is NULL when the earlier month had no incidents (no division by zero);
-- arrest_rate_change_pts is in percentage points. low_n: either month has under 20 incidents.
WITH bounds AS (
    SELECT MIN(month) AS first_month, MAX(month) AS last_month FROM arrest_rate_proxy
),
shifted AS (
    SELECT CAST(month + INTERVAL 1 YEAR AS DATE) AS month, level, area_key, crime_type,
           incidents, arrest_rate
    FROM arrest_rate_proxy
),
joined AS (
    SELECT
        COALESCE(cur.month, prev.month) AS month,
        COALESCE(cur.level, prev.level) AS level,
        COALESCE(cur.area_key, prev.area_key) AS area_key,
        COALESCE(cur.crime_type, prev.crime_type) AS crime_type,
        COALESCE(cur.incidents, 0) AS incidents,
        prev.incidents AS prev_incidents,
        cur.arrest_rate,
        prev.arrest_rate AS arrest_rate_prev_year
    FROM arrest_rate_proxy AS cur
    FULL OUTER JOIN shifted AS prev
        ON prev.month = cur.month
        AND prev.level = cur.level
        AND prev.area_key = cur.area_key
        AND prev.crime_type = cur.crime_type
),
compared AS (
    SELECT
        j.*,
        CASE WHEN CAST(j.month - INTERVAL 1 YEAR AS DATE) >= b.first_month
             THEN COALESCE(j.prev_incidents, 0) END AS incidents_prev_year
    FROM joined AS j
    CROSS JOIN bounds AS b
    WHERE j.month <= b.last_month
)
SELECT
    month,
    level,
    area_key,
    crime_type,
    incidents,
    incidents_prev_year,
    CASE WHEN incidents_prev_year > 0
         THEN CAST(100 AS DOUBLE) * (incidents - incidents_prev_year) / incidents_prev_year END
        AS incidents_change_pct,
    arrest_rate,
    arrest_rate_prev_year,
    CAST(100 AS DOUBLE) * (arrest_rate - arrest_rate_prev_year) AS arrest_rate_change_pts,
    incidents < 20 OR incidents_prev_year IS NULL OR incidents_prev_year < 20 AS low_n
FROM compared
