-- monthly_facts: the finest grain of the monthly statistics.
-- One row per month of occurrence x beat x district x community area x crime type.
-- Every published count is a sum over these rows, so levels add up by construction.
-- `flagged` counts incidents whose source carries the Arrest flag (some exports do not).
SELECT
    month,
    beat,
    district,
    community_area,
    primary_type AS crime_type,
    category,
    index_crime,
    COUNT(*) AS incidents,
    COUNT(*) FILTER (WHERE arrest) AS arrests,
    COUNT(arrest) AS flagged
FROM incidents
GROUP BY month, beat, district, community_area, primary_type, category, index_crime
