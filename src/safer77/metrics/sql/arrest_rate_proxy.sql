-- arrest_rate_proxy: incidents, arrests and the share of incidents with an arrest, per month of
-- occurrence, for the city, each district, community area and beat, and for each crime type,
-- each category (violent, property, index) and all crimes together ('ALL').
-- The rate is a PROXY for clearance: the open data's Arrest flag has no exceptional
-- clearances and no clearance date. The rate, its 95% Wilson score interval and low_n (< 20)
-- are over `flagged`, the incidents whose source records the Arrest flag; where no source
-- does, arrests and the rate are NULL (unknown), not zero.
WITH typed AS (
    SELECT month, beat, district, community_area, crime_type, incidents, arrests, flagged
    FROM monthly_facts
    UNION ALL
    SELECT month, beat, district, community_area, 'ALL', incidents, arrests, flagged
    FROM monthly_facts
    UNION ALL
    SELECT month, beat, district, community_area, category, incidents, arrests, flagged
    FROM monthly_facts WHERE category IS NOT NULL
    UNION ALL
    SELECT month, beat, district, community_area, 'index', incidents, arrests, flagged
    FROM monthly_facts WHERE index_crime
),
cells AS (
    SELECT
        month,
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
        SUM(incidents) AS incidents,
        SUM(arrests) AS arrests,
        SUM(flagged) AS flagged
    FROM typed
    GROUP BY GROUPING SETS (
        (month, crime_type),
        (month, district, crime_type),
        (month, community_area, crime_type),
        (month, beat, crime_type)
    )
),
rated AS (
    SELECT *,
           CASE WHEN flagged > 0 THEN CAST(arrests AS DOUBLE) / flagged END AS p,
           CAST(3.8414588206941245 AS DOUBLE) AS z2  -- 1.959963984540054 squared (95%)
    FROM cells
    WHERE area_key IS NOT NULL  -- incidents with no district (etc.) count for the city only
)
SELECT
    month,
    level,
    area_key,
    crime_type,
    incidents,
    CASE WHEN flagged > 0 THEN arrests END AS arrests,
    flagged,
    p AS arrest_rate,
    CASE WHEN flagged > 0 THEN GREATEST(0.0, LEAST(p,
        (p + z2 / (2 * flagged) - SQRT(z2 * (p * (1 - p) / flagged + z2 / (4 * CAST(flagged AS DOUBLE) * flagged))))
        / (1 + z2 / flagged))) END AS ci_low,
    CASE WHEN flagged > 0 THEN LEAST(1.0, GREATEST(p,
        (p + z2 / (2 * flagged) + SQRT(z2 * (p * (1 - p) / flagged + z2 / (4 * CAST(flagged AS DOUBLE) * flagged))))
        / (1 + z2 / flagged))) END AS ci_high,
    flagged < 20 AS low_n
FROM rated
