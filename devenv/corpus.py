"""The generated part of the relevance corpus: procedures of a city hall, written for
this set (the five demo procedures are the other part).

Each document has its own paragraphs (what it is about) and a few shared ones drawn from
BOILERPLATE (what every procedure says), so common words are everywhere, as in real
procedures. Some are written the way older files are: with the cedilla letters ş ţ
(PO-DE-06) or without diacritics at all (PO-SC-01). The judgements in
tests/search/relevance_judgements.yaml were made by reading these texts.
"""
from __future__ import annotations

import random

# (code, title, owner department, text of its own)
DOCUMENTS: list[tuple[str, str, str, str]] = [
    ("PO-DUAT-01", "Emiterea certificatului de urbanism", "DUAT",
     "Solicitantul depune cererea pentru emiterea certificatului de urbanism, însoțită de "
     "planul de încadrare în zonă și de planul de situație. Certificatul de urbanism se "
     "emite în termen de 15 zile de la înregistrarea cererii și se semnează de arhitectul-șef "
     "și de primar. Certificatul arată regimul juridic, economic și tehnic al imobilului și "
     "avizele necesare pentru faza următoare."),
    ("PO-DUAT-02", "Emiterea autorizației de construire", "DUAT",
     "Autorizația de construire se emite pe baza documentației tehnice (DTAC), a "
     "certificatului de urbanism valabil și a avizelor și acordurilor cerute prin acesta. "
     "Inspectorul verifică documentația, iar autorizația de construire se emite în 30 de zile. "
     "Lucrările încep numai după comunicarea începerii execuției."),
    ("PO-DUAT-03", "Controlul disciplinei în construcții", "DUAT",
     "Inspectorii de disciplină în construcții verifică pe teren lucrările executate fără "
     "autorizație sau cu nerespectarea acesteia și întocmesc procese-verbale de constatare "
     "și sancționare a contravențiilor. Se dispune oprirea lucrărilor și intrarea în legalitate."),
    ("PO-DUAT-04", "Emiterea avizului de oportunitate pentru PUZ", "DUAT",
     "Pentru elaborarea unui plan urbanistic zonal (PUZ), inițiatorul solicită avizul de "
     "oportunitate. Comisia tehnică de amenajare a teritoriului și urbanism analizează "
     "propunerea, iar PUZ se supune informării și consultării publicului înainte de aprobare."),
    ("PO-DE-01", "Angajarea, lichidarea, ordonanțarea și plata cheltuielilor", "DE",
     "Fiecare cheltuială parcurge cele patru faze: angajarea, lichidarea, ordonanțarea și "
     "plata. Angajamentul legal primește viza de control financiar preventiv propriu. "
     "Ordonanțarea la plată se face de ordonatorul de credite după ce compartimentul de "
     "specialitate confirmă recepția bunurilor sau serviciilor."),
    ("PO-DE-02", "Controlul financiar preventiv propriu", "DE",
     "Persoana desemnată verifică legalitatea și încadrarea în limitele creditelor bugetare "
     "a proiectelor de operațiuni supuse controlului financiar preventiv propriu (CFPP) și "
     "acordă sau refuză viza. Refuzul de viză se motivează în scris; ordonatorul de credite "
     "poate efectua operațiunea pe propria răspundere."),
    ("PO-DE-03", "Inventarierea patrimoniului", "DE",
     "Inventarierea anuală a elementelor de activ și de pasiv se face de comisia de "
     "inventariere numită prin dispoziție. Listele de inventariere se completează la locul "
     "de depozitare, iar diferențele constatate se înregistrează în contabilitate până la "
     "încheierea exercițiului financiar."),
    ("PO-DE-04", "Elaborarea și aprobarea bugetului local", "DE",
     "Direcția Economică întocmește proiectul bugetului local pe baza propunerilor "
     "compartimentelor și a estimărilor de venituri. Proiectul se publică pentru consultare "
     "și se aprobă prin HCL. Rectificarea bugetului local urmează aceiași pași."),
    ("PO-DE-05", "Eliberarea certificatului de atestare fiscală", "DE",
     "Certificatul de atestare fiscală pentru persoane fizice și juridice se eliberează la "
     "cerere, în cel mult 2 zile lucrătoare, și arată obligațiile fiscale restante la "
     "bugetul local."),
    ("PO-DE-06", "Încasarea impozitelor şi taxelor locale", "DE",
     "Impozitul pe clădiri, impozitul pe teren şi taxa asupra mijloacelor de transport se "
     "plătesc în două rate, până la 31 martie şi 30 septembrie. Pentru plata integrală până "
     "la 31 martie se acordă o bonificaţie stabilită de consiliul local. Încasarea se face la "
     "ghişeu, prin virament sau cu cardul."),
    ("PO-DE-07", "Casarea bunurilor aflate în patrimoniu", "DE",
     "Compartimentele transmit propunerile de casare pentru bunurile uzate fizic sau moral. "
     "Comisia de casare constată starea bunurilor, iar bunurile casate se scot din evidență "
     "și se valorifică sau se distrug."),
    ("PO-DJ-01", "Avizarea pentru legalitate a proiectelor de hotărâre", "DJ",
     "Direcția Juridică analizează proiectele de hotărâri ale consiliului local înainte de "
     "ședință și întocmește avizul de legalitate. Secretarul general contrasemnează pentru "
     "legalitate hotărârile adoptate."),
    ("PO-DJ-02", "Reprezentarea instituției în instanță", "DJ",
     "Consilierii juridici reprezintă instituția în dosarele aflate pe rolul instanțelor "
     "judecătorești, formulează întâmpinări și căi de atac și urmăresc termenele de "
     "judecată în registrul dosarelor."),
    ("PO-DJ-03", "Avizarea contractelor", "DJ",
     "Contractele încheiate de instituție primesc viza de legalitate a Direcției Juridice "
     "înainte de semnare. Consilierul juridic verifică clauzele și se pronunță în 3 zile."),
    ("PO-SG-01", "Organizarea ședințelor consiliului local", "SG",
     "Secretarul general asigură convocarea consilierilor locali, transmite ordinea de zi și "
     "materialele, redactează procesul-verbal al ședinței și comunică prefectului "
     "hotărârile consiliului local adoptate, în termen de 10 zile."),
    ("PO-SG-02", "Comunicarea și publicarea HCL", "SG",
     "HCL adoptate se înregistrează în registrul de evidență, se comunică persoanelor "
     "interesate și se publică în Monitorul Oficial Local în format electronic. HCL cu "
     "caracter normativ intră în vigoare de la publicare."),
    ("PO-SG-03", "Emiterea dispozițiilor primarului", "SG",
     "Dispozițiile primarului se redactează de compartimentul de specialitate, se avizează "
     "pentru legalitate, se numerotează în registrul de evidență a dispozițiilor și se "
     "comunică celor interesați."),
    ("PO-SG-05", "Actualizarea ROF", "SG",
     "ROF se actualizează după fiecare modificare a organigramei și a statului de funcții. "
     "Compartimentele transmit atribuțiile lor, iar proiectul ROF se aprobă de consiliul local."),
    ("PO-RP-01", "Liberul acces la informațiile de interes public", "RP",
     "Solicitările de informații de interes public, formulate în scris sau verbal, se "
     "înregistrează și se rezolvă în 10 zile (30 de zile pentru cele complexe), conform "
     "Legii nr. 544/2001. Refuzul comunicării se motivează."),
    ("PO-RP-04", "Arhivarea documentelor", "RP",
     "Dosarele se constituie conform nomenclatorului arhivistic și se predau la arhivă în "
     "al doilea an de la constituire, pe bază de inventar. Termenele de păstrare sunt cele "
     "din nomenclator; documentele cu termen expirat se selecționează."),
    ("PO-DRU-02", "Evaluarea performanțelor profesionale individuale", "DRU",
     "Evaluarea performanțelor profesionale ale salariaților se face anual, în primul "
     "trimestru, de șeful direct, pe fișa de evaluare. Calificativul se comunică "
     "salariatului, care poate contesta evaluarea."),
    ("PO-DRU-03", "Programarea și efectuarea concediului de odihnă", "DRU",
     "Programarea concediilor de odihnă se face până la sfârșitul anului pentru anul următor. "
     "Salariatul depune cererea de concediu aprobată de șeful direct; zilele neefectuate se "
     "reportează în anul următor."),
    ("PO-DRU-04", "Formarea profesională a personalului", "DRU",
     "Planul anual de perfecționare profesională se întocmește pe baza nevoilor de formare "
     "identificate la evaluare. Participarea la cursuri se aprobă de primar, în limita "
     "fondurilor bugetate."),
    ("PO-DRU-05", "Declarațiile de avere și de interese", "DRU",
     "Persoanele obligate depun declarațiile de avere și declarațiile de interese în 30 de "
     "zile de la numire și anual, până la 15 iunie. Responsabilul le publică pe pagina de "
     "internet și le transmite Agenției Naționale de Integritate."),
    ("PO-DRU-06", "Instruirea lucrătorilor în domeniul SSM", "DRU",
     "Instruirea în domeniul securității și sănătății în muncă are trei etape: instruirea "
     "introductiv-generală, instruirea la locul de muncă și instruirea periodică. Fiecare "
     "instruire se consemnează în fișa individuală de instruire SSM."),
    ("PS-SMC-02", "Managementul riscurilor", "SMC",
     "Fiecare compartiment identifică riscurile obiectivelor sale și le înscrie în registrul "
     "riscurilor. Echipa de gestionare a riscurilor analizează expunerea, stabilește apetitul "
     "la risc și măsurile de control, ca parte a SCIM."),
    ("PS-SMC-03", "Autoevaluarea sistemului de control intern managerial", "SMC",
     "Anual, fiecare compartiment completează chestionarul de autoevaluare a stadiului "
     "implementării standardelor de control intern managerial. Comisia de monitorizare "
     "centralizează rezultatele, iar primarul semnează raportul asupra sistemului de control "
     "intern managerial."),
    ("PS-SMC-04", "Auditul intern al sistemului de management al calității", "SMC",
     "Auditorii interni ai calității verifică anual, pe baza programului de audit, "
     "conformitatea proceselor cu cerințele standardului ISO 9001. Neconformitățile găsite "
     "se consemnează în raportul de audit."),
    ("PS-SMC-05", "Acțiuni corective", "SMC",
     "Pentru fiecare neconformitate se analizează cauza și se stabilește o acțiune corectivă, "
     "cu responsabil și termen. Responsabilul SMC urmărește închiderea acțiunilor corective și "
     "eficacitatea lor."),
    ("PS-SMC-06", "Analiza efectuată de management", "SMC",
     "CM se întrunește semestrial pentru analiza de management: rezultatele auditurilor, "
     "stadiul obiectivelor, riscurile și oportunitățile de îmbunătățire. Hotărârile CM se "
     "consemnează în minută."),
    ("PO-IT-01", "Copiile de siguranță ale datelor", "IT",
     "Serviciul Informatică face zilnic backup al bazelor de date și al serverelor de fișiere. "
     "Copiile de siguranță se păstrează 30 de zile, una dintre ele în altă clădire, și se "
     "verifică lunar prin restaurare de probă."),
    ("PO-IT-02", "Gestionarea conturilor de utilizator", "IT",
     "Conturile de utilizator se creează la cererea șefului de compartiment și se "
     "dezactivează la încetarea raportului de muncă. Parolele au cel puțin 12 caractere și "
     "se schimbă la 90 de zile."),
    ("PO-IT-03", "Prelucrarea datelor personale (GDPR)", "IT",
     "Responsabilul cu protecția datelor ține evidența activităților de prelucrare. O "
     "încălcare a securității datelor personale se notifică autorității de supraveghere în "
     "72 de ore, potrivit GDPR."),
    ("IL-IT-01", "Utilizarea semnăturii electronice calificate", "IT",
     "Instrucțiunea arată cum se semnează documentele cu semnătura electronică calificată: "
     "se introduce tokenul, se alege certificatul și se verifică semnătura aplicată."),
    ("PO-DAP-01", "Elaborarea programului anual al achizițiilor publice", "DAP",
     "Compartimentele transmit necesarul de produse, servicii și lucrări; Direcția Achiziții "
     "Publice întocmește strategia anuală și programul anual al achizițiilor publice, "
     "aprobat odată cu bugetul."),
    ("PO-DAP-02", "Atribuirea contractelor prin licitație deschisă", "DAP",
     "Documentația de atribuire se publică în SEAP. Comisia de evaluare analizează ofertele, "
     "întocmește raportul procedurii de licitație deschisă și comunică rezultatul "
     "ofertanților."),
    ("PO-SC-01", "Inregistrarea nasterii", "SC",
     "Nasterea se declara in termen de 30 de zile la serviciul de stare civila. Ofiterul de "
     "stare civila intocmeste actul de nastere si elibereaza certificatul de nastere."),
    ("PO-SC-02", "Oficierea căsătoriei", "SC",
     "Viitorii soți depun declarația de căsătorie cu cel puțin 10 zile înainte de oficiere. "
     "Căsătoria se oficiază de ofițerul de stare civilă, la sediul primăriei."),
]

BOILERPLATE = [
    "Procedura se aplică de toate compartimentele implicate, în limita atribuțiilor din "
    "fișa postului.",
    "Conducătorul compartimentului răspunde de cunoașterea și aplicarea procedurii de către "
    "salariații din subordine.",
    "Documentele întocmite se păstrează în dosarul compartimentului, conform termenelor "
    "legale.",
    "Procedura se revizuiește ori de câte ori se modifică legislația sau organizarea "
    "instituției.",
    "Salariații confirmă luarea la cunoștință a procedurii pe lista de difuzare.",
    "Formularele anexate fac parte integrantă din prezenta procedură.",
    "Neregulile constatate se aduc la cunoștința conducătorului compartimentului.",
]


def generated(seed: int = 11) -> list[tuple[str, str, str, str]]:
    """(code, title, department, content) of each generated document, its own text
    with 2-4 shared paragraphs."""
    rng = random.Random(seed)
    return [(code, title, department,
             f"{title}\n\n{own}\n\n" + "\n\n".join(rng.sample(BOILERPLATE, rng.randint(2, 4))))
            for code, title, department, own in DOCUMENTS]
