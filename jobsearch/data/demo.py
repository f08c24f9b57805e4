"""A deterministic, offline demo dataset of synthetic English job postings.

Industries are named as in LinkedIn's industry list and grouped into families that share
vocabulary, so neighbouring industries are genuinely hard to tell apart. Class sizes are
imbalanced, every posting carries the same benefits / equal-opportunity boilerplate, and a few
percent of labels are flipped. A TF-IDF + linear model scores roughly 80% on it, so model
choices matter.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# family -> (shared vocabulary, {industry: (titles, specific vocabulary)})
FAMILIES: dict[str, tuple[str, dict[str, tuple[str, str]]]] = {
    "tech": (
        "software systems cloud data platform agile teams technical infrastructure servers "
        "scripting automation documentation stakeholders digital",
        {
            "Information Technology and Services": (
                "IT Support Analyst|Service Desk Engineer|IT Consultant|Infrastructure Engineer",
                "helpdesk ticketing itil outsourcing managed-services active-directory "
                "desktop-support sla onboarding laptops office365 vmware",
            ),
            "Computer Software": (
                "Software Engineer|Backend Developer|Product Engineer|QA Engineer",
                "python java microservices codebase releases unit-tests refactoring api "
                "product-roadmap saas licensing sprints",
            ),
            "Internet": (
                "Web Developer|Growth Engineer|Frontend Engineer|Site Reliability Engineer",
                "website javascript react e-commerce seo traffic users online marketplace "
                "conversion a-b-testing browsers",
            ),
            "Computer & Network Security": (
                "Security Analyst|Penetration Tester|SOC Engineer|Security Architect",
                "firewalls vulnerabilities siem incident-response threat-intelligence "
                "encryption iso27001 phishing malware intrusion forensics",
            ),
            "Telecommunications": (
                "Network Engineer|RF Engineer|Telecoms Technician|NOC Analyst",
                "5g fibre broadband mobile-network spectrum voip routers antennas "
                "base-stations carriers bandwidth",
            ),
        },
    ),
    "health": (
        "patients clinical care health safety compliance regulatory wellbeing treatment "
        "medical staff wards records",
        {
            "Hospital & Health Care": (
                "Staff Nurse|Healthcare Assistant|Ward Manager|Theatre Practitioner",
                "nursing wards shifts nmc-registration bedside admissions discharge "
                "inpatients triage acute-care rota",
            ),
            "Medical Devices": (
                "Clinical Specialist|Field Service Engineer|Quality Engineer|Product Specialist",
                "implants catheters iso13485 fda surgeons devices sterilisation "
                "instrumentation demonstrations theatres ce-marking",
            ),
            "Pharmaceuticals": (
                "Medical Representative|Clinical Research Associate|QC Chemist|"
                "Pharmacovigilance Officer",
                "drug-safety gmp trials formulations prescribers dosage pharmacology "
                "compounds chromatography batch-release medicines",
            ),
            "Mental Health Care": (
                "Mental Health Nurse|Support Worker|Psychologist|Counsellor",
                "therapy counselling recovery psychiatric safeguarding cbt crisis "
                "service-users wellbeing-plans community-teams resilience",
            ),
            "Biotechnology": (
                "Research Scientist|Lab Technician|Bioinformatician|Cell Biologist",
                "laboratory assays genomics pcr cell-culture antibodies sequencing "
                "protocols reagents pipelines crispr",
            ),
        },
    ),
    "finance": (
        "financial clients reporting risk accounts analysis excel regulation portfolio "
        "budgets forecasting audit",
        {
            "Financial Services": (
                "Financial Adviser|Paraplanner|Wealth Manager|Compliance Officer",
                "pensions mortgages advice fca suitability savings retirement "
                "protection-products annual-reviews regulated wealth",
            ),
            "Banking": (
                "Relationship Manager|Credit Analyst|Branch Manager|Treasury Analyst",
                "lending loans deposits branch credit-risk kyc aml current-accounts "
                "overdrafts treasury underwriting",
            ),
            "Insurance": (
                "Claims Handler|Underwriter|Loss Adjuster|Insurance Broker",
                "claims policies premiums underwriting brokers renewals actuarial "
                "policyholders cover liability reinsurance",
            ),
            "Accounting": (
                "Management Accountant|Auditor|Bookkeeper|Tax Accountant",
                "ledgers reconciliations payroll vat tax-returns month-end "
                "year-end-accounts acca cima sage invoices",
            ),
            "Investment Management": (
                "Portfolio Manager|Investment Analyst|Fund Accountant|Trader",
                "equities funds asset-allocation bonds trading hedge-funds "
                "valuations derivatives investors benchmarks fixed-income",
            ),
        },
    ),
    "industry": (
        "site engineering health-and-safety projects production quality operations "
        "maintenance contractors plant technical drawings",
        {
            "Construction": (
                "Site Manager|Quantity Surveyor|Site Engineer|Construction Manager",
                "scaffolding groundworks concrete bricklaying cscs subcontractors "
                "residential-builds snagging foundations cladding builders",
            ),
            "Civil Engineering": (
                "Civil Engineer|Structural Engineer|Highways Engineer|Drainage Engineer",
                "bridges highways drainage infrastructure-schemes earthworks autocad "
                "surveying flood tunnels railways structures",
            ),
            "Mechanical or Industrial Engineering": (
                "Mechanical Engineer|Maintenance Technician|Design Engineer|Process Engineer",
                "cad solidworks machinery hydraulics pneumatics lean six-sigma "
                "tooling fabrication plc assembly-lines",
            ),
            "Automotive": (
                "Vehicle Technician|Service Advisor|Parts Advisor|Automotive Engineer",
                "vehicles cars workshop diagnostics mot dealership servicing "
                "engines bodywork tyres powertrain",
            ),
            "Oil & Energy": (
                "Energy Engineer|Drilling Supervisor|Wind Turbine Technician|Energy Analyst",
                "offshore renewables drilling wind-turbines pipelines solar grid "
                "power-generation rigs upstream decommissioning",
            ),
            "Logistics and Supply Chain": (
                "Warehouse Operative|Transport Planner|Supply Chain Analyst|Logistics Coordinator",
                "warehouse forklift deliveries freight inventory distribution "
                "picking shipments hgv procurement stock-control",
            ),
        },
    ),
    "consumer": (
        "customers service store shifts team targets guests fast-paced friendly weekends "
        "sales experience",
        {
            "Retail": (
                "Sales Assistant|Store Manager|Retail Merchandiser|Cashier",
                "tills shop-floor merchandising stockroom footfall visual-displays "
                "promotions checkout retail-sales shoppers",
            ),
            "Hospitality": (
                "Hotel Receptionist|Front of House Manager|Housekeeper|Concierge",
                "hotel reception bookings housekeeping rooms check-in events banqueting "
                "concierge guests-arrivals occupancy",
            ),
            "Food & Beverages": (
                "Production Operative|Food Technologist|Brewery Operator|Quality Controller",
                "food-production hygiene haccp packaging beverages brewing "
                "ingredients bottling food-safety recipes",
            ),
            "Restaurants": (
                "Chef de Partie|Sous Chef|Waiter|Restaurant Manager",
                "kitchen menus cooking chefs dining covers restaurant waiting-staff "
                "prep bar cuisine",
            ),
            "Apparel & Fashion": (
                "Fashion Designer|Garment Technologist|Buyer|Visual Merchandiser",
                "garments collections fabrics trends textiles sampling sizing "
                "fashion-shows apparel seasons suppliers",
            ),
        },
    ),
    "people": (
        "communication organisation stakeholders policies administration planning "
        "reports community people programmes",
        {
            "Education Management": (
                "Primary Teacher|Teaching Assistant|Head of Department|SENCO",
                "pupils classroom lesson-planning curriculum ofsted school "
                "safeguarding-children sen key-stage marking",
            ),
            "Higher Education": (
                "Lecturer|Research Fellow|Student Adviser|Programme Administrator",
                "university students lectures research-grants academic modules "
                "postgraduate faculty publications campus",
            ),
            "Government Administration": (
                "Policy Officer|Council Officer|Civil Servant|Planning Officer",
                "council public-sector policy ministers legislation local-authority "
                "civil-service consultations citizens statutory",
            ),
            "Law Practice": (
                "Solicitor|Paralegal|Legal Secretary|Conveyancer",
                "litigation conveyancing contracts legal-advice court clients-matters "
                "solicitors disputes case-files barristers",
            ),
            "Marketing and Advertising": (
                "Marketing Executive|Account Manager|Content Writer|Brand Manager",
                "campaigns brand social-media content advertising agency creative "
                "copywriting ppc analytics-dashboards",
            ),
            "Human Resources": (
                "HR Adviser|HR Business Partner|Learning and Development Manager|HR Administrator",
                "employee-relations absence grievances employment-law cipd "
                "hr-policies disciplinary onboarding-new-starters workforce",
            ),
            "Staffing and Recruiting": (
                "Recruitment Consultant|Resourcer|Talent Acquisition Partner|Account Manager",
                "candidates vacancies recruitment headhunting placements cvs "
                "interviews billing temp-desk sourcing",
            ),
            "Real Estate": (
                "Estate Agent|Lettings Negotiator|Property Manager|Valuer",
                "property lettings landlords tenants viewings valuations estate "
                "rentals sales-progression surveyors",
            ),
            "Nonprofit Organization Management": (
                "Fundraising Manager|Volunteer Coordinator|Programme Manager|Campaigns Officer",
                "charity fundraising donors volunteers grants trustees beneficiaries "
                "advocacy appeals community-projects",
            ),
        },
    ),
}

GENERIC = [
    "work",
    "role",
    "company",
    "opportunity",
    "responsibilities",
    "skills",
    "experience",
    "team",
    "environment",
    "excellent",
    "strong",
    "ability",
    "attention",
    "detail",
    "motivated",
    "successful",
    "candidate",
    "growing",
    "business",
    "support",
    "deliver",
    "develop",
    "ensure",
    "manage",
    "maintain",
    "improve",
]
CITIES = [
    "London",
    "Manchester",
    "Leeds",
    "Bristol",
    "Glasgow",
    "Birmingham",
    "Cardiff",
    "Edinburgh",
    "Reading",
    "Leicester",
]
SENIORITY = ["", "", "Senior", "Junior", "Lead", "Trainee", "Principal"]
BOILERPLATE = [
    "We offer a competitive salary, 25 days holiday, a pension scheme and private healthcare.",
    "We are an equal opportunities employer and welcome applications from all backgrounds.",
    "Flexible working and hybrid options are available for the right candidate.",
    "Please apply with your CV; only shortlisted candidates will be contacted.",
    "Benefits include a cycle to work scheme, life assurance and an employee assistance programme.",
    "We are committed to diversity, equity and inclusion and make reasonable adjustments.",
]
DUTY_TEMPLATES = [
    "You will {v} {a} and {b}.",
    "The role involves {a}, {b} and {c}.",
    "Day to day you will {v} {a} alongside {b}.",
    "Experience of {a} or {b} is essential.",
    "Knowledge of {a}, {b} and {c} would be an advantage.",
    "You will work closely with the team on {a} and {b}.",
    "Key responsibilities include {a}, {b} and {c}.",
]
VERBS = ["manage", "support", "deliver", "oversee", "handle", "coordinate", "improve", "develop"]


def industries() -> list[str]:
    """All demo industry names, in a fixed order."""
    return [name for _, (_, inds) in FAMILIES.items() for name in inds]


# How a topical word is drawn: the industry's own vocabulary with probability ``specificity``,
# a sibling industry's with SIBLING_SHARE, the family's shared vocabulary up to FAMILY_UNTIL,
# else a generic word. A title is the industry's own with probability OWN_TITLE, else a sibling's.
SIBLING_SHARE, FAMILY_UNTIL, OWN_TITLE = 0.12, 0.8, 0.75


def industry_weights(rng: np.random.Generator) -> np.ndarray:
    """Each industry's share of the postings, in :func:`industries` order: Zipf-like, the
    largest about 12x the smallest, ranked by ``rng`` (``generate_demo``'s first draw)."""
    order = rng.permutation(len(industries()))
    weights = 1.0 / (1.0 + order) ** 0.75
    return weights / weights.sum()


def generate_demo(
    n_rows: int = 3200,
    seed: int = 0,
    label_noise: float = 0.03,
    specificity: float = 0.2,
    latent: bool = False,
) -> pd.DataFrame:
    """Generate ``n_rows`` postings with columns ``title``, ``description`` and ``industry``.

    ``specificity`` is the share of topical words drawn from the industry's own vocabulary
    (the rest come from its family and a sibling industry); it sets how hard the task is.
    ``latent`` adds what the generator drew and no model sees: ``true_industry`` (before label
    noise), ``job_title`` (without seniority) and ``topical`` (the topical words written, in
    order), for measuring the best accuracy any model could reach. Same arguments, same frame.
    """
    rng = np.random.default_rng(seed)
    names, fam_of, own, titles = [], {}, {}, {}
    for family, (_, inds) in FAMILIES.items():
        for name, (t, words) in inds.items():
            names.append(name)
            fam_of[name] = family
            own[name] = words.split()
            titles[name] = t.split("|")
    shared_vocab = {f: s.split() for f, (s, _) in FAMILIES.items()}
    labels = rng.choice(len(names), size=n_rows, p=industry_weights(rng))
    rows = []
    for idx in labels:
        name = names[idx]
        family = fam_of[name]
        siblings = [n for n in names if fam_of[n] == family and n != name]

        drawn: list[str] = []

        def topical(name=name, family=family, siblings=siblings, drawn=drawn) -> str:
            r = rng.random()
            if r < specificity:
                word = str(rng.choice(own[name]))
            elif r < specificity + SIBLING_SHARE:
                word = str(rng.choice(own[str(rng.choice(siblings))]))
            elif r < FAMILY_UNTIL:
                word = str(rng.choice(shared_vocab[family]))
            else:
                word = str(rng.choice(GENERIC))
            drawn.append(word)
            return word

        title_of = name if rng.random() > 1 - OWN_TITLE else str(rng.choice(siblings))
        seniority, job_title = str(rng.choice(SENIORITY)), str(rng.choice(titles[title_of]))
        title = " ".join(w for w in (seniority, job_title) if w)
        target_words = int(np.clip(rng.lognormal(np.log(110), 0.6), 45, 600))
        closing = [
            *rng.choice(BOILERPLATE, size=3, replace=False),
            "&nbsp;Apply today &amp; join us!",
        ]
        sentences = [
            f"<p>We are hiring a <b>{title}</b> in {rng.choice(CITIES)}.</p>",
            f"Our {' '.join(topical() for _ in range(2))} business is growing.",
        ]
        n_words = sum(len(s.split()) for s in sentences + closing)
        while True:
            template = str(rng.choice(DUTY_TEMPLATES))
            s = template.format(v=rng.choice(VERBS), a=topical(), b=topical(), c=topical()).replace(
                "-", " "
            )
            if n_words + len(s.split()) > target_words:
                del drawn[-3:]  # the sentence is not written
                break
            if "{c}" not in template:
                drawn.pop()  # drawn, not written
            sentences.append(s)
            n_words += len(s.split())
        sentences += closing
        label = name
        if rng.random() < label_noise:
            label = str(rng.choice(names))
        rows.append((title, " ".join(sentences), label, name, job_title, drawn))
    frame = pd.DataFrame(
        rows, columns=["title", "description", "industry", "true_industry", "job_title", "topical"]
    )
    return frame if latent else frame[["title", "description", "industry"]]
