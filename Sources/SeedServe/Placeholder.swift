enum SeedServePlaceholder {}
