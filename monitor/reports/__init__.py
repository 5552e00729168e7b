"""Official outputs of confirmed findings: the finding report (HTML, PDF through headless Chromium,
XLSX), the monthly summary per agency and the CSV for the national civil-service complaint system."""
