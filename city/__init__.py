"""The city's side of a hall: shipping its records to the city's PostgreSQL and the
city-wide reports that run there (docs/city.md). Needs psycopg 3; imports hall/ and
config/, never server/ or Qt."""
