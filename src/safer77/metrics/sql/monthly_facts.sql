-- monthly_facts: the finest grain of the monthly statistics.
-- One row per month of occurrence x beat x district x community area x crime type.
-- Every published count is a sum over these rows, so levels add up by construction.
-- `flagged` counts incidents whose source carries the Arrest flag (some exports do not).
SELECT
    CAST(date_trunc('month', occurred_at) AS DATE) AS month,
    beat,
    district,
    community_area,
    primary_type AS crime_type,
    category,
    index_crime,
    COUNT(*) AS incidents,
    SUM(CASE WHEN arrest THEN 1 ELSE 0 END) AS arrests,
    SUM(CASE WHEN arrest IS NULL THEN 0 ELSE 1 END) AS flagged
FROM incidents
GROUP BY
    CAST(date_trunc('month', occurred_at) AS DATE),
    beat, district, community_area, primary_type, category, index_crime
