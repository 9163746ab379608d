-- yoy_change: each cell of arrest_rate_proxy next to the same month a year earlier.
-- incidents_change_pct is NULL when the earlier month had no incidents (no division by zero);
-- arrest_rate_change is in percentage points.
SELECT
    cur.month,
    cur.level,
    cur.area_key,
    cur.crime_type,
    cur.incidents,
    prev.incidents AS incidents_prev_year,
    CASE WHEN prev.incidents > 0
         THEN 100.0 * (cur.incidents - prev.incidents) / prev.incidents END AS incidents_change_pct,
    cur.arrest_rate,
    prev.arrest_rate AS arrest_rate_prev_year,
    100.0 * (cur.arrest_rate - prev.arrest_rate) AS arrest_rate_change_pts,
    cur.low_n OR prev.low_n OR prev.incidents IS NULL AS low_n
FROM arrest_rate_proxy AS cur
LEFT JOIN arrest_rate_proxy AS prev
    ON prev.level = cur.level
    AND prev.area_key = cur.area_key
    AND prev.crime_type = cur.crime_type
    AND prev.month = CAST(cur.month - INTERVAL 1 YEAR AS DATE)
