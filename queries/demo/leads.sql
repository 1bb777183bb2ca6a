-- The demo's leads as drawn (the DataFrame registered as `frame`), with their text ids.
-- Ids are formatted here, not in Python: much faster than building millions of strings, and
-- printf widens past seven digits where lpad would cut the number short. Names and companies are
-- drawn from short lists by the lead's number (consumers have no company), so queues read as a CRM's.
select printf('L%07d', lead_number), created_at, channel, source_campaign_id, sourced_by,
       segment, region, industry, company_size, score, mql_at, sal_at, sql_at, disqualified_at,
       disqualify_reason, owner_id,
       ['Alex', 'Priya', 'Tomás', 'Mei', 'Jordan', 'Aisha', 'Lukas', 'Sofia', 'Kenji', 'Amara',
        'Noah', 'Elena', 'Ravi', 'Chloe', 'Mateo', 'Yara', 'Daniel', 'Ingrid', 'Omar', 'Lena',
        'Samuel', 'Hana', 'Victor', 'Zoe'][1 + (lead_number * 7) % 24]
       || ' ' ||
       ['Bauer', 'Okafor', 'Silva', 'Nakamura', 'Schmidt', 'Haddad', 'Kowalski', 'Moreau', 'Patel',
        'Johansson', 'Rossi', 'Chen', 'Novak', 'Garcia', 'Dubois', 'Kim', 'Andersen', 'Costa',
        'Fischer', 'Murphy', 'Tanaka', 'Ivanova', 'Lopez', 'Walsh', 'Nguyen', 'Weber'][1 + (lead_number * 11) % 26],
       case when segment <> 'consumer' then
           ['Northwind', 'Bluefin', 'Copperleaf', 'Brightpath', 'Ironbridge', 'Silverline', 'Greenfield',
            'Redwood', 'Clearwater', 'Stonegate', 'Lighthouse', 'Summit', 'Oakridge', 'Harbor',
            'Kestrel', 'Meridian', 'Pinecrest', 'Sterling', 'Tidewater', 'Vantage'][1 + (lead_number * 13) % 20]
           || ' ' ||
           ['Labs', 'Systems', 'Logistics', 'Health', 'Analytics', 'Foods', 'Energy', 'Media',
            'Software', 'Partners', 'Retail', 'Capital'][1 + (lead_number * 5) % 12]
       end
from frame
