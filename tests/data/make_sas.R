# Writes tests/data/good_patients.sas7bdat from good_patients.csv with haven (a SAS file written by a
# tool other than ours, for the SAS round-trip test). Run from tests/data: Rscript make_sas.R
df <- read.csv("good_patients.csv", stringsAsFactors = FALSE, na.strings = c("", "NA"))
for (col in grep("_date$", names(df), value = TRUE)) df[[col]] <- as.Date(df[[col]])
suppressWarnings(haven::write_sas(df, "good_patients.sas7bdat"))
