-- open_incidents_by_age: incidents with no arrest recorded, by how long before `as_of` they
-- occurred, in whole days (age 30.9 days is 30: bucket 0-30; then 31-90, 91-365, >365;
-- default as_of: the newest incident),
-- per level, for all crimes and each category. "Open" here means no arrest flag: the open
-- data cannot tell an exceptionally cleared or unfounded case from an unsolved one.
-- A month that lies wholly inside one bucket is counted from monthly_facts (flagged -
-- arrests); only the months where a bucket boundary (or as_of) falls are read row by row.
WITH bounds AS (
    SELECT
        as_of,
        CAST(date_trunc('month', as_of) AS DATE) AS m_now,
        CAST(date_trunc('month', as_of - INTERVAL 31 DAY) AS DATE) AS m30,
        CAST(date_trunc('month', as_of - INTERVAL 91 DAY) AS DATE) AS m90,
        CAST(date_trunc('month', as_of - INTERVAL 366 DAY) AS DATE) AS m365
    FROM params
),
recent AS (
    SELECT i.district, i.community_area, i.beat, i.category, i.index_crime,
           CASE
               WHEN i.occurred_at > b.as_of - INTERVAL 31 DAY THEN '0-30'
               WHEN i.occurred_at > b.as_of - INTERVAL 91 DAY THEN '31-90'
               WHEN i.occurred_at > b.as_of - INTERVAL 366 DAY THEN '91-365'
               ELSE '>365'
           END AS age_bucket
    FROM incidents AS i
    CROSS JOIN bounds AS b
    WHERE i.arrest = false
      AND i.month IN (b.m_now, b.m30, b.m90, b.m365)
      AND i.occurred_at <= b.as_of
),
open_rows AS (
    SELECT district, community_area, beat, category, index_crime, age_bucket,
           COUNT(*) AS incidents
    FROM recent
    GROUP BY district, community_area, beat, category, index_crime, age_bucket
    UNION ALL
    SELECT f.district, f.community_area, f.beat, f.category, f.index_crime,
           CASE
               WHEN f.month > b.m30 THEN '0-30'
               WHEN f.month > b.m90 THEN '31-90'
               WHEN f.month > b.m365 THEN '91-365'
               ELSE '>365'
           END,
           f.flagged - f.arrests
    FROM monthly_facts AS f
    CROSS JOIN bounds AS b
    WHERE f.month NOT IN (b.m_now, b.m30, b.m90, b.m365)
      AND f.month < b.m_now
      AND f.flagged > f.arrests
),
typed AS (
    SELECT district, community_area, beat, 'ALL' AS crime_type, age_bucket, incidents
    FROM open_rows
    UNION ALL
    SELECT district, community_area, beat, category, age_bucket, incidents
    FROM open_rows WHERE category IS NOT NULL
    UNION ALL
    SELECT district, community_area, beat, 'index', age_bucket, incidents
    FROM open_rows WHERE index_crime
),
cells AS (
    SELECT
        CASE
            WHEN GROUPING(district) = 0 THEN 'district'
            WHEN GROUPING(community_area) = 0 THEN 'community-area'
            WHEN GROUPING(beat) = 0 THEN 'beat'
            ELSE 'city'
        END AS level,
        CASE
            WHEN GROUPING(district) = 0 THEN CAST(district AS VARCHAR)
            WHEN GROUPING(community_area) = 0 THEN CAST(community_area AS VARCHAR)
            WHEN GROUPING(beat) = 0 THEN CAST(beat AS VARCHAR)
            ELSE 'city'
        END AS area_key,
        crime_type,
        age_bucket,
        SUM(incidents) AS open_incidents
    FROM typed
    GROUP BY GROUPING SETS (
        (crime_type, age_bucket),
        (district, crime_type, age_bucket),
        (community_area, crime_type, age_bucket),
        (beat, crime_type, age_bucket)
    )
)
SELECT level, area_key, crime_type, age_bucket, open_incidents
FROM cells
WHERE area_key IS NOT NULL
