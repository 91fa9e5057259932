package relevance

// Plans maps service plan names (servicePlanInfo.servicePlanName, upper
// case) to the service names Message Center and Service Health use. It
// covers the plans of the common Microsoft 365 and Office 365 SKUs (E1/E3/
// E5, Business Basic/Standard/Premium, F1/F3, A1/A3/A5 and the add-ons
// for Teams Phone, Copilot, Power BI, Defender and Intune), after
// Microsoft's "Product names and service plan identifiers for licensing"
// list. A plan not listed grants nothing here; a post about a service no
// plan maps to is judged by the service health list instead (Of).
var Plans = map[string][]string{
	// Exchange
	"EXCHANGE_S_STANDARD":      {"Exchange Online"},
	"EXCHANGE_S_ENTERPRISE":    {"Exchange Online"},
	"EXCHANGE_S_DESKLESS":      {"Exchange Online"},
	"EXCHANGE_S_FOUNDATION":    {"Exchange Online"},
	"EXCHANGE_S_ARCHIVE":       {"Exchange Online"},
	"EXCHANGE_S_ARCHIVE_ADDON": {"Exchange Online"},
	"EXCHANGEONLINE_MULTIGEO":  {"Exchange Online"},
	// SharePoint and OneDrive
	"SHAREPOINTSTANDARD":   {"SharePoint Online", "OneDrive for Business"},
	"SHAREPOINTENTERPRISE": {"SharePoint Online", "OneDrive for Business"},
	"SHAREPOINTDESKLESS":   {"SharePoint Online", "OneDrive for Business"},
	"ONEDRIVESTANDARD":     {"OneDrive for Business"},
	"ONEDRIVE_BASIC":       {"OneDrive for Business"},
	"SHAREPOINTWAC":        {"Microsoft 365 for the web"},
	// Teams
	"TEAMS1":                 {"Microsoft Teams"},
	"TEAMS_FREE":             {"Microsoft Teams"},
	"MCOSTANDARD":            {"Microsoft Teams"},
	"MCOEV":                  {"Microsoft Teams"},
	"MCOMEETADV":             {"Microsoft Teams"},
	"TEAMS_PREMIUM_CUSTOMER": {"Microsoft Teams"},
	"MICROSOFT_ECDN":         {"Microsoft Teams"},
	"TEAMSPRO_CUST":          {"Microsoft Teams"},
	// Office apps
	"OFFICESUBSCRIPTION":        {"Microsoft 365 apps"},
	"OFFICE_BUSINESS":           {"Microsoft 365 apps"},
	"OFFICEMOBILE_SUBSCRIPTION": {"Microsoft 365 apps"},
	// Copilot
	"M365_COPILOT_APPS":               {"Microsoft 365 Copilot"},
	"M365_COPILOT_TEAMS":              {"Microsoft 365 Copilot"},
	"M365_COPILOT_SHAREPOINT":         {"Microsoft 365 Copilot"},
	"M365_COPILOT_INTELLIGENT_SEARCH": {"Microsoft 365 Copilot"},
	"GRAPH_CONNECTORS_COPILOT":        {"Microsoft 365 Copilot"},
	// Viva, Yammer
	"YAMMER_ENTERPRISE":       {"Viva Engage"},
	"YAMMER_MIDSIZE":          {"Viva Engage"},
	"VIVA_LEARNING_SEEDED":    {"Microsoft Viva"},
	"MYANALYTICS_P2":          {"Microsoft Viva"},
	"INSIGHTS_BY_MYANALYTICS": {"Microsoft Viva"},
	"VIVAENGAGE_CORE":         {"Viva Engage"},
	// Power Platform
	"POWERAPPS_O365_P1":            {"Power Apps"},
	"POWERAPPS_O365_P2":            {"Power Apps"},
	"POWERAPPS_O365_P3":            {"Power Apps"},
	"FLOW_O365_P1":                 {"Power Automate"},
	"FLOW_O365_P2":                 {"Power Automate"},
	"FLOW_O365_P3":                 {"Power Automate"},
	"BI_AZURE_P0":                  {"Power BI"},
	"BI_AZURE_P2":                  {"Power BI"},
	"BI_AZURE_P3":                  {"Power BI"},
	"POWER_VIRTUAL_AGENTS_O365_P2": {"Microsoft Copilot Studio"},
	// Work management
	"PROJECTWORKMANAGEMENT": {"Planner"},
	"FORMS_PLAN_E1":         {"Microsoft Forms"},
	"FORMS_PLAN_E3":         {"Microsoft Forms"},
	"FORMS_PLAN_E5":         {"Microsoft Forms"},
	"FORMS_PLAN_K":          {"Microsoft Forms"},
	"STREAM_O365_E1":        {"Microsoft Stream"},
	"STREAM_O365_E3":        {"Microsoft Stream"},
	"STREAM_O365_E5":        {"Microsoft Stream"},
	"STREAM_O365_K":         {"Microsoft Stream"},
	"SWAY":                  {"Sway"},
	"MICROSOFTBOOKINGS":     {"Microsoft Bookings"},
	"BPOS_S_TODO_1":         {"Microsoft To Do"},
	"BPOS_S_TODO_2":         {"Microsoft To Do"},
	"BPOS_S_TODO_3":         {"Microsoft To Do"},
	"WHITEBOARD_PLAN1":      {"Microsoft Whiteboard"},
	"WHITEBOARD_PLAN2":      {"Microsoft Whiteboard"},
	"WHITEBOARD_PLAN3":      {"Microsoft Whiteboard"},
	"KAIZALA_O365_P3":       {"Microsoft Kaizala"},
	"MICROSOFT_SEARCH":      {"Microsoft Search"},
	"PROJECT_O365_P2":       {"Project for the web"},
	"PROJECT_O365_P3":       {"Project for the web"},
	"LOOP_CONTENT_STORAGE":  {"Microsoft Loop"},
	"CLIPCHAMP":             {"Microsoft Clipchamp"},
	// Security, compliance, devices
	"INTUNE_A":             {"Microsoft Intune"},
	"INTUNE_O365":          {"Microsoft Intune"},
	"AAD_PREMIUM":          {"Microsoft Entra"},
	"AAD_PREMIUM_P2":       {"Microsoft Entra"},
	"ATP_ENTERPRISE":       {"Microsoft Defender for Office 365"},
	"THREAT_INTELLIGENCE":  {"Microsoft Defender for Office 365"},
	"WINDEFATP":            {"Microsoft Defender for Endpoint"},
	"MDE_LITE":             {"Microsoft Defender for Endpoint"},
	"ADALLOM_S_STANDALONE": {"Microsoft Defender for Cloud Apps"},
	"ATA":                  {"Microsoft Defender for Identity"},
	"RMS_S_ENTERPRISE":     {"Microsoft Purview"},
	"RMS_S_PREMIUM":        {"Microsoft Purview"},
	"MIP_S_CLP1":           {"Microsoft Purview"},
	"MIP_S_CLP2":           {"Microsoft Purview"},
	"INFORMATION_BARRIERS": {"Microsoft Purview"},
	"LOCKBOX_ENTERPRISE":   {"Microsoft Purview"},
	"EQUIVIO_ANALYTICS":    {"Microsoft Purview"},
	"WIN10_PRO_ENT_SUB":    {"Windows"},
	"WINDOWS_STORE":        {"Windows"},
	"UNIVERSAL_PRINT_01":   {"Universal Print"},
	"WINDOWSUPDATEFORBUSINESS_DEPLOYMENTSERVICE": {"Windows"},
}

// tenantWide are the services every tenant has, whatever its licences
// (folded as key folds them).
var tenantWide = map[string]bool{
	"microsoft 365 suite":        true,
	"microsoft 365 admin center": true,
	"microsoft entra":            true,
	"identity service":           true,
}

// aliases fold the names Microsoft used before, and the short forms
// Service Health and Message Center mix, to one (folded) name.
var aliases = map[string]string{
	"yammer enterprise":                 "viva engage",
	"yammer":                            "viva engage",
	"azure active directory":            "microsoft entra",
	"azure ad":                          "microsoft entra",
	"microsoft entra id":                "microsoft entra",
	"intune":                            "microsoft intune",
	"onedrive":                          "onedrive for business",
	"sharepoint":                        "sharepoint online",
	"exchange":                          "exchange online",
	"teams":                             "microsoft teams",
	"office for the web":                "microsoft 365 for the web",
	"microsoft 365 apps for enterprise": "microsoft 365 apps",
	"office client applications":        "microsoft 365 apps",
	"planner":                           "planner",
	"microsoft planner":                 "planner",
	"power bi":                          "power bi",
	"microsoft power automate":          "power automate",
	"microsoft power apps":              "power apps",
	"microsoft copilot (microsoft 365)": "microsoft 365 copilot",
	"microsoft defender xdr":            "microsoft defender for office 365",
}
