"""The Comunidad page (issue #11, point 6): events (migratones, talentos vecinales, forums,
fairs, workshops, trainings of municipal staff) and the registry of migrant organisations."""
