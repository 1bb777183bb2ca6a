-- A closed review's meeting pack, as it was (zlib-compressed HTML).
select pack_html from reviews where review_id = :review_id
