"""Identity: national numbers, pseudonyms and the encrypted vault."""
