-- arrest_rate_proxy: incidents, arrests and the share of incidents with an arrest, per month of
-- occurrence, for the city, each district, community area and beat, and for each crime type,
-- each category (violent, property, index) and all crimes together ('ALL').
-- The rate is a PROXY for clearance: the open data's Arrest flag has no exceptional
-- clearances and no clearance date. 95% Wilson score interval; low_n when incidents < 20.
WITH levels AS (
    SELECT month, 'city' AS level, 'city' AS area_key, crime_type, category, index_crime,
           incidents, arrests, flagged
    FROM monthly_facts
    UNION ALL
    SELECT month, 'district', CAST(district AS VARCHAR), crime_type, category, index_crime,
           incidents, arrests, flagged
    FROM monthly_facts WHERE district IS NOT NULL
    UNION ALL
    SELECT month, 'community-area', CAST(community_area AS VARCHAR), crime_type, category,
           index_crime, incidents, arrests, flagged
    FROM monthly_facts WHERE community_area IS NOT NULL
    UNION ALL
    SELECT month, 'beat', CAST(beat AS VARCHAR), crime_type, category, index_crime,
           incidents, arrests, flagged
    FROM monthly_facts WHERE beat IS NOT NULL
),
typed AS (
    SELECT month, level, area_key, crime_type, incidents, arrests, flagged FROM levels
    UNION ALL
    SELECT month, level, area_key, 'ALL', incidents, arrests, flagged FROM levels
    UNION ALL
    SELECT month, level, area_key, category, incidents, arrests, flagged
    FROM levels WHERE category IS NOT NULL
    UNION ALL
    SELECT month, level, area_key, 'index', incidents, arrests, flagged
    FROM levels WHERE index_crime
),
cells AS (
    SELECT month, level, area_key, crime_type,
           SUM(incidents) AS incidents, SUM(arrests) AS arrests, SUM(flagged) AS flagged
    FROM typed
    GROUP BY month, level, area_key, crime_type
),
rated AS (
    SELECT *,
           CASE WHEN flagged > 0 THEN CAST(arrests AS DOUBLE) / flagged END AS p,
           3.8414588206941245 AS z2  -- 1.959963984540054 squared: the 95% normal quantile
    FROM cells
)
SELECT
    month,
    level,
    area_key,
    crime_type,
    incidents,
    arrests,
    flagged,
    p AS arrest_rate,
    CASE WHEN flagged > 0 THEN GREATEST(0.0, LEAST(p,
        (p + z2 / (2 * flagged) - SQRT(z2 * (p * (1 - p) / flagged + z2 / (4.0 * flagged * flagged))))
        / (1 + z2 / flagged))) END AS ci_low,
    CASE WHEN flagged > 0 THEN LEAST(1.0, GREATEST(p,
        (p + z2 / (2 * flagged) + SQRT(z2 * (p * (1 - p) / flagged + z2 / (4.0 * flagged * flagged))))
        / (1 + z2 / flagged))) END AS ci_high,
    incidents < 20 AS low_n
FROM rated
