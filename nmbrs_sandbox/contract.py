"""The operations and types the sandbox implements, shaped like Nmbrs SOAP v3."""

from __future__ import annotations

from nmbrs_sandbox.schema import (
    BASE64,
    BOOLEAN,
    DATETIME,
    DECIMAL,
    INT,
    STRING,
    Complex,
    Enum,
    Field,
    Service,
    array_of,
    field,
    operation,
)

NAMESPACE_ROOT = "https://api.nmbrs.nl/soap/v3"

AUTH_HEADER = Complex(
    "AuthHeader", (field("Username", STRING), field("Token", STRING)), any_attribute=True
)
AUTH_HEADER_WITH_DOMAIN = Complex(
    "AuthHeaderWithDomain", (field("Domain", STRING),), base=AUTH_HEADER
)


def _ints(*names: str) -> tuple[Field, ...]:
    return tuple(field(name, INT) for name in names)


def _strings(*names: str) -> tuple[Field, ...]:
    return tuple(field(name, STRING) for name in names)


def _decimals(*names: str) -> tuple[Field, ...]:
    return tuple(field(name, DECIMAL) for name in names)


# --- CompanyService -------------------------------------------------------------------------

LOONAANGIFTE_TIJDVAK = Enum("LoonaangifteTijdvak", ("None", "Month", "Week4", "Month6", "Year"))

COMPANY = Complex(
    "Company",
    (
        *_ints("ID", "Number"),
        *_strings("Name", "PhoneNumber", "FaxNumber", "Email", "Website"),
        field("LoonaangifteTijdvak", LOONAANGIFTE_TIJDVAK),
        field("KvkNr", STRING),
    ),
)
RUN_INFO = Complex(
    "RunInfo",
    (
        *_ints("ID", "Number", "Year", "PeriodStart", "PeriodEnd"),
        field("Description", STRING),
        field("RunAt", DATETIME),
        field("IsLocked", BOOLEAN),
    ),
)
EMPLOYEE_ID_NUMBER = Complex("EmployeeIdNumber", _ints("EmployeeId", "EmployeeNumber"))
HOUR_CODE = Complex("HourCode", (field("Code", INT), field("Description", STRING)))

COMPANY_SERVICE = Service(
    "CompanyService",
    f"{NAMESPACE_ROOT}/CompanyService",
    (
        operation("List_GetAll", "All companies the account may see.", (), array_of(COMPANY)),
        operation(
            "Company_GetCurrentPeriod",
            "The company's current period as yyyy-p-type, e.g. 2026-11-M.",
            _ints("CompanyId"),
            STRING,
        ),
        operation(
            "Run_GetList",
            "The company's payroll runs in a year.",
            _ints("CompanyId", "Year"),
            array_of(RUN_INFO),
        ),
        operation(
            "Run_GetEmployeesByRunCompany",
            "The employees paid in a run.",
            _ints("CompanyId", "RunId", "Year"),
            array_of(EMPLOYEE_ID_NUMBER),
        ),
        operation(
            "HourModel_GetHourCodes",
            "The hour codes of the company's hour model.",
            _ints("CompanyId"),
            array_of(HOUR_CODE),
        ),
    ),
)

# --- EmployeeService ------------------------------------------------------------------------

GENDER = Enum("Gender", ("undefined", "male", "female"))
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
SCHEDULE_HOURS = tuple(f"Hours{day}" for day in WEEKDAYS) + tuple(
    f"Hours{day}2" for day in WEEKDAYS
)

EMPLOYEE = Complex("Employee", (*_ints("Id", "Number"), field("DisplayName", STRING)))


PERSONAL_INFO_V2 = Complex(
    "PersonalInfo_V2",
    (
        field("Id", INT),
        field("DisplayName", STRING),
        field("EmployeeNumber", INT),
        *_strings("BSN", "Title", "FirstName", "Initials", "Prefix", "LastName", "Nickname"),
        field("Gender", GENDER),
        field("NationalityCode", INT),
        *_strings("PlaceOfBirth", "CountryOfBirthISOCode", "IdentificationNumber"),
        field("IdentificationType", INT),
        *_strings(
            "PartnerPrefix",
            "PartnerLastName",
            "TelephonePrivate",
            "TelephoneWork",
            "TelephoneMobilePrivate",
            "TelephoneMobileWork",
            "TelephoneOther",
            "EmailPrivate",
            "EmailWork",
        ),
        *_ints("BurgerlijkeStaat", "Naamstelling"),
        field("Birthday", DATETIME, nillable=True),
        field("CreationDate", DATETIME, nillable=True),
        *_ints("StartPeriod", "StartYear"),
        field("DeceasedDate", DATETIME, nillable=True, min_occurs=0),
        *_strings(
            "InCaseOfEmergency", "InCaseOfEmergencyPhone", "InCaseOfEmergencyRelation", "TitleAfter"
        ),
    ),
)
PERSONAL_INFO_ITEM = Complex(
    "PersonalInfoItem",
    (field("EmployeeId", INT), field("EmployeePersonalInfos", array_of(PERSONAL_INFO_V2))),
)

SALARY_TABLE = Complex("SalaryTable", (field("Code", INT), field("Description", STRING)))
SALARY_TABLE_SCALE = Complex(
    "SalaryTableScale",
    (
        *_strings("Scale", "SchaalDescription"),
        *_decimals("ScaleValue", "ScalePercentageMax", "ScalePercentageMin"),
    ),
)
SALARY_TABLE_STEP = Complex(
    "SalaryTableStep", (*_strings("Step", "StepDescription"), *_decimals("StepValue"))
)
SALARY_TABLE_EMPLOYEE = Complex(
    "SalaryTableEmployee",
    (field("Schaal", SALARY_TABLE_SCALE), field("Trede", SALARY_TABLE_STEP)),
    base=SALARY_TABLE,
)
SALARY_V2 = Complex(
    "Salary_V2",
    (
        field("ID", INT),
        field("Value", DECIMAL),
        field("Type", INT),
        field("SalaryTable", SALARY_TABLE_EMPLOYEE),
        field("StartDate", DATETIME),
        field("CreationDate", DATETIME),
    ),
)
SALARY_TYPE = Enum(
    "SalaryType",
    (
        "None",
        "Bruto_Salaris_Fulltime",
        "Bruto_Salaris_Partime",
        "Bruto_Uurloon",
        "Netto_Salaris_Partime_incl_looncomp",
        "Netto_Salaris_Partime_excl_looncomp",
        "Netto_Uurloon_excl_looncomp",
        "Werkgerverslasten",
        "Netto_Uurloon_incl_looncomp",
    ),
)
SALARY = Complex(
    "Salary",
    (
        field("Value", DECIMAL),
        field("Type", SALARY_TYPE),
        field("SalaryTable", SALARY_TABLE_EMPLOYEE),
        field("StartDate", DATETIME),
    ),
)
EMPLOYEE_SALARY_ITEM = Complex(
    "EmployeeSalaryItem",
    (field("EmployeeId", INT), field("EmployeeSalaries", array_of(SALARY_V2))),
)

_SCHEDULE_FIELDS = (
    *_decimals(*SCHEDULE_HOURS, "ParttimePercentage"),
    field("StartDate", DATETIME),
)
SCHEDULE = Complex("Schedule", _SCHEDULE_FIELDS)
SCHEDULE_V2 = Complex(
    "Schedule_V2", (*_decimals("Id"), *_SCHEDULE_FIELDS, field("CreationDate", DATETIME))
)
EMPLOYEE_SCHEDULE_ITEM = Complex(
    "EmployeeScheduleItem",
    (field("EmployeeId", INT), field("EmployeeSchedules", array_of(SCHEDULE_V2))),
)

EMPLOYMENT = Complex(
    "Employment",
    (
        field("EmploymentId", INT),
        *(field(name, DATETIME, nillable=True)
          for name in ("CreationDate", "StartDate", "EndDate", "InitialStartDate")),
    ),
)  # fmt: skip
EMPLOYEE_EMPLOYMENT_ITEM = Complex(
    "EmployeeEmploymentItem",
    (field("EmployeeId", INT), field("EmployeeEmployments", array_of(EMPLOYMENT))),
)

DAYS_WORKED = Complex("DaysWorked", _ints("EmployeeId", "Days", "Period", "Year"))
DAYS_VAR_WORKED = Complex("DaysVarWorked", _ints("Days", "PlusMinusDaysForWageComp"))

# ASMX declares the items of ArrayOfHourComponent inline, with three fields only.
ARRAY_OF_HOUR_COMPONENT = Complex(
    "ArrayOfHourComponent",
    (
        Field(
            "HourComponent",
            Complex(None, (*_ints("Id", "HourCode"), *_decimals("Hours"))),
            0,
            None,
            nillable=True,
        ),
    ),
)
EMPLOYEE_HOUR_COMPONENT = Complex(
    "EmployeeHourComponent",
    (
        *_ints("EmployeeId", "Id", "HourCode"),
        field("CostCenterId", INT, nillable=True),
        field("CostUnitId", INT, nillable=True),
        *_decimals("Hours"),
        *_strings("Comment", "DocumentName"),
        field("Attachment", BASE64),
    ),
)

_EMPLOYEE = _ints("EmployeeId")
_EMPLOYEE_PERIOD = _ints("EmployeeId", "Period", "Year")
_UNPROTECTED = field("UnprotectedMode", BOOLEAN)
_DAYS_BATCH = (field("EmployeesDaysWorked", array_of(DAYS_WORKED)), _UNPROTECTED)

EMPLOYEE_SERVICE = Service(
    "EmployeeService",
    f"{NAMESPACE_ROOT}/EmployeeService",
    (
        operation(
            "List_GetByCompany",
            "The company's employees of the given employee type (0: all types).",
            _ints("CompanyId", "EmployeeType"),
            array_of(EMPLOYEE),
        ),
        operation(
            "PersonalInfo_GetAll_AllEmployeesByCompany",
            "Personal info history of every employee of the company.",
            _ints("CompanyID"),
            array_of(PERSONAL_INFO_ITEM),
        ),
        operation(
            "Salary_GetAll_AllEmployeesByCompany",
            "Salary history of every employee of the company.",
            _ints("CompanyID"),
            array_of(EMPLOYEE_SALARY_ITEM),
        ),
        operation(
            "Salary_GetCurrent", "The salary in force in the current period.", _EMPLOYEE, SALARY
        ),
        operation("Salary_Get", "The salary in force in a period.", _EMPLOYEE_PERIOD, SALARY),
        operation(
            "Employment_GetAll_AllEmployeesByCompany",
            "Employment history (start and end dates) of every employee of the company.",
            _ints("CompanyID"),
            array_of(EMPLOYEE_EMPLOYMENT_ITEM),
        ),
        operation(
            "Schedule_GetAll_AllEmployeesByCompany",
            "Schedule history of every employee of the company.",
            _ints("CompanyID"),
            array_of(EMPLOYEE_SCHEDULE_ITEM),
        ),
        operation(
            "Schedule_GetCurrent",
            "The schedule in force in the current period.",
            _EMPLOYEE,
            SCHEDULE,
        ),
        operation("Schedule_Get", "The schedule in force in a period.", _EMPLOYEE_PERIOD, SCHEDULE),
        operation(
            "DaysFixed_GetCurrent", "Fixed days worked in the current period.", _EMPLOYEE, INT
        ),
        operation("DaysFixed_Get", "Fixed days worked in a period.", _EMPLOYEE_PERIOD, INT),
        operation(
            "DaysFixed_Set_Batch",
            "Set fixed days per employee and period; past periods need UnprotectedMode.",
            _DAYS_BATCH,
            None,
        ),
        operation(
            "DaysVarWorked_GetCurrent",
            "Variable days worked in the current period.",
            _EMPLOYEE,
            DAYS_VAR_WORKED,
        ),
        operation(
            "DaysVarWorked_Get",
            "Variable days worked in a period.",
            _EMPLOYEE_PERIOD,
            DAYS_VAR_WORKED,
        ),
        operation(
            "DaysVar_Set_Batch",
            "Overwrite variable days per employee and period; past periods need UnprotectedMode.",
            _DAYS_BATCH,
            None,
        ),
        operation(
            "HourComponentVar_GetCurrent",
            "Variable hour components in the current period.",
            _EMPLOYEE,
            ARRAY_OF_HOUR_COMPONENT,
        ),
        operation(
            "HourComponentVar_Get",
            "Variable hour components in a period.",
            _EMPLOYEE_PERIOD,
            ARRAY_OF_HOUR_COMPONENT,
        ),
        operation(
            "HourComponentVar_ClearCurrent",
            "Remove every variable hour component in the current period.",
            _EMPLOYEE,
            None,
        ),
        operation(
            "HourComponentVar_Clear",
            "Remove every variable hour component in a period; past periods need UnprotectedMode.",
            (*_EMPLOYEE_PERIOD, _UNPROTECTED),
            None,
        ),
        operation(
            "HourComponent_Delete",
            "Delete one hour component by its Id.",
            _ints("EmployeeId", "HourComponentID"),
            BOOLEAN,
        ),
        operation(
            "HourComponentVar_Insert_Batch",
            "Append variable hour components to a period; past periods need UnprotectedMode.",
            (
                field("HourComponents", array_of(EMPLOYEE_HOUR_COMPONENT)),
                *_ints("Period", "Year"),
                _UNPROTECTED,
            ),
            None,
        ),
    ),
)

SERVICES = {service.name: service for service in (COMPANY_SERVICE, EMPLOYEE_SERVICE)}
