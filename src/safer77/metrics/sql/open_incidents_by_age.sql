-- open_incidents_by_age: incidents with no arrest recorded, by how long ago they occurred,
-- counted at `as_of` (default: the newest incident in the warehouse), per level and for all
-- crimes and each category. "Open" here means no arrest flag: the open data cannot tell an
-- exceptionally cleared or unfounded case from an unsolved one.
WITH open_rows AS (
    SELECT
        district, community_area, beat, category, index_crime,
        CASE
            WHEN date_diff('day', i.occurred_at, params.as_of) <= 30 THEN '0-30'
            WHEN date_diff('day', i.occurred_at, params.as_of) <= 90 THEN '31-90'
            WHEN date_diff('day', i.occurred_at, params.as_of) <= 365 THEN '91-365'
            ELSE '>365'
        END AS age_bucket
    FROM incidents AS i
    CROSS JOIN params
    WHERE i.arrest = false AND i.occurred_at <= params.as_of
),
levels AS (
    SELECT 'city' AS level, 'city' AS area_key, category, index_crime, age_bucket FROM open_rows
    UNION ALL
    SELECT 'district', CAST(district AS VARCHAR), category, index_crime, age_bucket
    FROM open_rows WHERE district IS NOT NULL
    UNION ALL
    SELECT 'community-area', CAST(community_area AS VARCHAR), category, index_crime, age_bucket
    FROM open_rows WHERE community_area IS NOT NULL
    UNION ALL
    SELECT 'beat', CAST(beat AS VARCHAR), category, index_crime, age_bucket
    FROM open_rows WHERE beat IS NOT NULL
),
typed AS (
    SELECT level, area_key, 'ALL' AS crime_type, age_bucket FROM levels
    UNION ALL
    SELECT level, area_key, category, age_bucket FROM levels WHERE category IS NOT NULL
    UNION ALL
    SELECT level, area_key, 'index', age_bucket FROM levels WHERE index_crime
)
SELECT level, area_key, crime_type, age_bucket, COUNT(*) AS open_incidents
FROM typed
GROUP BY level, area_key, crime_type, age_bucket
